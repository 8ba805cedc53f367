const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The instant used to order results, from `occurrenceDateTime` as the write side accepted it: a
 * date-time with offset is taken as is (PostgreSQL parses `+01:00` and `+0100` alike); a bare date
 * counts as midnight UTC so its position never depends on the session's time zone.
 */
export function occurrenceInstant(occurrence: string): string {
  return DATE_ONLY.test(occurrence) ? `${occurrence}T00:00:00+00:00` : occurrence;
}

/** The calendar date as written (the first ten characters), which `-date.from`/`-date.to` compare against: no time-zone shifting. */
export function occurrenceDate(occurrence: string): string {
  return occurrence.slice(0, 10);
}
