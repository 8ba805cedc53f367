/**
 * Date and date-time forms the validation rules accept (docs/validation-rules.md §3–§5) and the
 * "not in the future" comparison. Parsing is by hand: `Date.parse` accepts too much (partial and
 * impossible dates roll over) and knows nothing of `+0100`.
 */

/** A parsed date (`YYYY-MM-DD`) or an instant with an explicit offset. */
export type FhirMoment = { kind: 'date'; date: string } | { kind: 'dateTime'; date: string; epochMs: number };

const DATE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;
const TIME = 'T([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9])(?:\\.([0-9]{1,6}))?';
/** occurrenceDateTime: UK offsets only (+00:00/+01:00, also without the colon), no `Z` (national parity). */
const OCCURRENCE = new RegExp(`^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:${TIME}(\\+00:?00|\\+01:?00))?$`);
/** recorded: any real offset (-14:00..+14:00, with or without colon) or `Z`. */
const RECORDED = new RegExp(`^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:${TIME}(Z|[+-](?:(?:0[0-9]|1[0-3]):?[0-5][0-9]|14:?00)))?$`);

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function realYmd(y: number, m: number, d: number): boolean {
  return y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m);
}

/** A real calendar date written exactly `YYYY-MM-DD` (no partial dates, no 30 February). */
export function isRealDate(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const m = DATE.exec(value);
  return m !== null && realYmd(+m[1], +m[2], +m[3]);
}

/** Date.UTC without its 1900 shift for years 0–99 (FHIR years start at 0001). */
function utcMs(y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0): number {
  if (y >= 100) return Date.UTC(y, mo, d, h, mi, s, ms);
  const t = new Date(0);
  t.setUTCFullYear(y, mo, d);
  t.setUTCHours(h, mi, s, ms);
  return t.getTime();
}

function offsetMinutes(offset: string): number {
  if (offset === 'Z') return 0;
  const digits = offset.slice(1).replace(':', '');
  const minutes = +digits.slice(0, 2) * 60 + +digits.slice(2, 4);
  return offset[0] === '-' ? -minutes : minutes;
}

function parseWith(re: RegExp, value: unknown): FhirMoment | null {
  if (typeof value !== 'string') return null;
  const m = re.exec(value);
  if (m === null) return null;
  const [y, mo, d] = [+m[1], +m[2], +m[3]];
  if (!realYmd(y, mo, d)) return null;
  const date = value.slice(0, 10);
  if (m[4] === undefined) return { kind: 'date', date };
  const ms = m[7] === undefined ? 0 : +m[7].padEnd(3, '0').slice(0, 3);
  return { kind: 'dateTime', date, epochMs: utcMs(y, mo - 1, d, +m[4], +m[5], +m[6], ms) - offsetMinutes(m[8]) * 60_000 };
}

/** `occurrenceDateTime`: a date, or a date-time with a UK offset (+00:00, +01:00, +0000, +0100). */
export function parseOccurrenceDateTime(value: unknown): FhirMoment | null {
  return parseWith(OCCURRENCE, value);
}

/** `recorded`: a date, or a date-time with any valid offset, `Z` included. */
export function parseRecorded(value: unknown): FhirMoment | null {
  return parseWith(RECORDED, value);
}

const UK_DATE = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' });
let cachedHour = NaN;
let cachedDate = '';

/**
 * Today's calendar date in the UK (`YYYY-MM-DD`). Date-only values are UK dates (the national
 * service's clients are in England), so "not in the future" compares against the UK calendar.
 * Cached per UTC hour: UK offsets are whole hours, so the UK date cannot change within one.
 */
export function ukToday(now: Date): string {
  const hour = Math.floor(now.getTime() / 3_600_000);
  if (hour !== cachedHour) {
    cachedDate = UK_DATE.format(now);
    cachedHour = hour;
  }
  return cachedDate;
}

/** Whether a moment lies after `now`: instants compare exactly, dates by UK calendar day (today is fine). */
export function isInFuture(moment: FhirMoment, now: Date): boolean {
  return moment.kind === 'date' ? moment.date > ukToday(now) : moment.epochMs > now.getTime();
}

const ANY_DATE_TIME =
  /^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2})(?:T([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]|60)(?:\.([0-9]+))?(Z|[+-][0-9]{2}:[0-9]{2}))?)?)?$/;

/**
 * The span of instants a FHIR dateTime of any precision stands for (`2020` is the whole year),
 * used to decide whether a Period covers an event. Dates without a time are taken as UTC days.
 */
export function dateTimeSpan(value: unknown): { low: number; high: number } | null {
  if (typeof value !== 'string') return null;
  const m = ANY_DATE_TIME.exec(value);
  if (m === null) return null;
  const y = +m[1];
  if (m[4] !== undefined) {
    const moment = parseRecorded(value.replace(/:60(?=[.Z+-])/, ':59'));
    return moment && moment.kind === 'dateTime' ? { low: moment.epochMs, high: moment.epochMs } : null;
  }
  const utc = (yy: number, mo: number, d: number) => utcMs(yy, mo, d);
  if (m[3] !== undefined) {
    if (!realYmd(y, +m[2], +m[3])) return null;
    const low = utc(y, +m[2] - 1, +m[3]);
    return { low, high: low + 86_400_000 - 1 };
  }
  if (m[2] !== undefined) {
    if (+m[2] < 1 || +m[2] > 12) return null;
    return { low: utc(y, +m[2] - 1, 1), high: utc(y, +m[2], 1) - 1 };
  }
  return { low: utc(y, 0, 1), high: utc(y + 1, 0, 1) - 1 };
}

/** The span of an accepted occurrence moment (a whole UTC day for a date). */
export function momentSpan(moment: FhirMoment): { low: number; high: number } {
  if (moment.kind === 'dateTime') return { low: moment.epochMs, high: moment.epochMs };
  return dateTimeSpan(moment.date) ?? { low: NaN, high: NaN };
}
