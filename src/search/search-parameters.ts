import { FhirError, issue, OutcomeIssue } from '../fhir/operation-outcome';
import { SNOMED_SYSTEM, VaccineType, NHS_NUMBER_SYSTEM, NhsNumber } from '../kernel/terminology';
import { decodeCursor, encodeCursor, SearchCursor } from './search-cursor';
import { INCLUDE_PATIENT, searchParameterShape } from './search-parameters.dto';

/** The search parameters this service knows; anything else is ignored (and left out of the self link). */
export const P = {
  patientIdentifier: 'patient.identifier',
  target: '-immunization.target',
  targetDisease: 'target-disease',
  dateFrom: '-date.from',
  dateTo: '-date.to',
  identifier: 'identifier',
  elements: '_elements',
  include: '_include',
  count: '_count',
  cursor: '_cursor',
} as const;

/** Fixed order of parameters in self and next links. */
const LINK_ORDER: string[] = Object.values(P);
const KNOWN = new Set<string>(LINK_ORDER);
const PATIENT_ONLY = [P.patientIdentifier, P.target, P.targetDisease, P.dateFrom, P.dateTo] as const;

export type Element = 'id' | 'meta';
const ELEMENTS: readonly Element[] = ['id', 'meta'];

/** Search by NHS number over vaccine types chosen directly or through target diseases. */
export interface PatientSearch {
  kind: 'patient';
  nhsNumber: string;
  selection: { by: 'target'; types: string[] } | { by: 'disease'; diseases: { code: string; types: string[] }[] };
  /** Inclusive YYYY-MM-DD bounds on the calendar date of the occurrence. */
  dateFrom: string | null;
  dateTo: string | null;
  /** `_include=Immunization:patient` was sent (the Patient entry is there either way). */
  include: boolean;
  /** Page size in effect; `countGiven` says whether the client chose it. */
  count: number;
  countGiven: boolean;
  cursor: SearchCursor | null;
  /** Values ignored with a warning (unknown vaccine types or target diseases). */
  warnings: OutcomeIssue[];
}

/** Look-up by the supplier's own identifier of the record. */
export interface IdentifierSearch {
  kind: 'identifier';
  system: string;
  value: string;
  /** `_elements`: the only elements each entry keeps (sorted), or null for whole resources. */
  elements: Element[] | null;
  include: boolean;
  count: number;
  countGiven: boolean;
}

export type SearchRequest = PatientSearch | IdentifierSearch;

/** The vaccine types a patient search asks for, sorted (before permissions are applied). */
export function requestedTypes(s: PatientSearch): string[] {
  const types = s.selection.by === 'target' ? s.selection.types : s.selection.diseases.flatMap((d) => d.types);
  return [...new Set(types)].sort();
}

// FHIR search escaping: `\,` `\|` `\$` `\\` stand for the character itself.
function splitUnescaped(raw: string, separator: ',' | '|', limit = Infinity): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '\\' && i + 1 < raw.length) {
      current += c + raw[++i];
    } else if (c === separator && parts.length < limit - 1) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

const unescape = (s: string) => s.replace(/\\([\\,|$])/g, '$1');
const escape = (s: string) => s.replace(/[\\,|$]/g, (c) => `\\${c}`);

/** The comma-separated values of a parameter, unescaped and trimmed, empty ones dropped, repeats removed. */
function orValues(raw: string): string[] {
  return [
    ...new Set(
      splitUnescaped(raw, ',')
        .map((v) => unescape(v).trim())
        .filter((v) => v !== ''),
    ),
  ];
}

/**
 * `system|value` split at the first unescaped bar, or null when there is none. Trimmed, except for
 * `identifier` where the supplier's own value is matched exactly as stored.
 */
function token(raw: string, trim = true): { system: string; value: string } | null {
  const parts = splitUnescaped(trim ? raw.trim() : raw, '|', 2);
  if (parts.length !== 2) return null;
  const clean = (s: string) => (trim ? unescape(s).trim() : unescape(s));
  return { system: clean(parts[0]), value: clean(parts[1]) };
}

/** Echoes client values in diagnostics, bounded: at most 10 of them, each cut at 80 characters. */
const quote = (values: string[]) =>
  values
    .slice(0, 10)
    .map((v) => `"${v.length > 80 ? `${v.slice(0, 80)}…` : v}"`)
    .join(', ') + (values.length > 10 ? ` and ${values.length - 10} more` : '');

const warning = (code: 'invalid', diagnostics: string) => issue('warning', code, code.toUpperCase(), diagnostics);

/**
 * Turns the parameters of a search (GET query or POST form, in the order sent) into a request, or
 * throws one 400 INVALID naming every parameter that is wrong. No permission is looked at here:
 * invalid input gets its 400 whoever sends it (docs/api.md §4).
 */
export function parseSearchParameters(pairs: Iterable<[string, string]>, maxCount: number): SearchRequest {
  const given = new Map<string, string>();
  const repeated = new Set<string>();
  for (const [name, value] of pairs) {
    if (!KNOWN.has(name)) continue;
    if (given.has(name)) repeated.add(name);
    else given.set(name, value);
  }
  const errors: string[] = [...repeated].map((n) => `Search parameter ${n} may be given only once; use commas for "or".`);
  const has = (name: string) => given.has(name);
  const raw = (name: string) => given.get(name) ?? '';

  // Types and ranges of the single-valued parameters come from the DTO; its message for a wrong one
  // is reported at that parameter's place in the list.
  const shape = searchParameterShape(given, maxCount);
  const shapeProblem = (name: string): boolean => {
    const problem = shape.problems.get(name);
    if (problem !== undefined) errors.push(problem);
    return problem !== undefined;
  };

  // Parameters both kinds of search take.
  const include = has(P.include) && !shapeProblem(P.include);
  let count = maxCount;
  if (has(P.count) && !shapeProblem(P.count)) count = Math.min(shape.dto._count!, maxCount);
  let cursor: SearchCursor | null = null;
  if (has(P.cursor)) {
    cursor = decodeCursor(raw(P.cursor).trim());
    if (cursor === null) errors.push('Search parameter _cursor is not one this server handed out: follow the next link as given.');
  }

  if (has(P.identifier)) {
    for (const name of PATIENT_ONLY) {
      if (!has(name)) continue;
      errors.push(
        name === P.patientIdentifier
          ? 'Search parameters identifier and patient.identifier cannot be used together: search by one or the other.'
          : `Search parameter ${name} cannot be combined with identifier.`,
      );
    }
    const values = splitUnescaped(raw(P.identifier), ',');
    const t = values.length === 1 ? token(values[0], false) : null;
    if (t === null || t.system === '' || t.value === '') {
      errors.push(
        'Search parameter identifier must have one value in the format "<system>|<value>", e.g. "https://supplierABC/identifiers/vacc|f10b59b3-fc73-4616-99c9-9e882ab31184".',
      );
    }
    let elements: Element[] | null = null;
    if (has(P.elements)) {
      const asked = orValues(raw(P.elements));
      const unknown = asked.filter((e) => !ELEMENTS.includes(e as Element));
      if (asked.length === 0 || unknown.length > 0) {
        errors.push(`Search parameter _elements may only list ${ELEMENTS.join(', ')}${unknown.length ? ` (not ${quote(unknown)})` : ''}.`);
      } else elements = ELEMENTS.filter((e) => asked.includes(e));
    }
    if (errors.length > 0) throw invalid(errors);
    return { kind: 'identifier', system: t!.system, value: t!.value, elements, include, count, countGiven: has(P.count) };
  }

  // Patient search.
  let nhsNumber: string | null = null;
  if (!has(P.patientIdentifier)) {
    errors.unshift(
      `Search parameter patient.identifier is required (unless identifier is used), in the format "${NHS_NUMBER_SYSTEM}|<NHS number>".`,
    );
  } else {
    const values = splitUnescaped(raw(P.patientIdentifier), ',');
    const t = values.length === 1 ? token(values[0]) : null;
    if (t === null || t.system !== NHS_NUMBER_SYSTEM) {
      errors.unshift(
        `Search parameter patient.identifier must have one value in the format "${NHS_NUMBER_SYSTEM}|<NHS number>", e.g. "${NHS_NUMBER_SYSTEM}|9000000009".`,
      );
    } else {
      const problem = NhsNumber.problem(t.value);
      if (problem) errors.unshift(`Search parameter patient.identifier must be a valid NHS number: the value ${problem}.`);
      else nhsNumber = t.value;
    }
  }
  if (has(P.elements)) errors.push('Search parameter _elements is supported only with identifier.');

  const warnings: OutcomeIssue[] = [];
  let selection: PatientSearch['selection'] | null = null;
  if (has(P.target) && has(P.targetDisease)) {
    errors.push('Search parameter target-disease cannot be combined with -immunization.target: use one or the other.');
  } else if (has(P.target)) {
    const asked = orValues(raw(P.target));
    const known = asked.filter((t) => VaccineType.isKnown(t));
    const unknown = asked.filter((t) => !VaccineType.isKnown(t));
    if (asked.length === 0) errors.push('Search parameter -immunization.target must have one or more values.');
    else if (known.length === 0) {
      errors.push(
        `Search parameter -immunization.target has no vaccine type of this service (${quote(unknown)}); use one or more of: ${VaccineType.all().join(', ')}.`,
      );
    } else {
      if (unknown.length > 0) {
        warnings.push(
          warning(
            'invalid',
            `Search parameter -immunization.target: ${quote(unknown)} ${unknown.length === 1 ? 'is not a vaccine type' : 'are not vaccine types'} of this service and ${unknown.length === 1 ? 'was' : 'were'} ignored; the search used ${known.sort().join(', ')}.`,
          ),
        );
      }
      selection = { by: 'target', types: [...known].sort() };
    }
  } else if (has(P.targetDisease)) {
    const asked = orValues(raw(P.targetDisease));
    const diseases: { code: string; types: string[] }[] = [];
    const unknown: string[] = [];
    for (const value of asked) {
      const t = token(value);
      const types = t && t.system === SNOMED_SYSTEM ? VaccineType.coveringDisease(t.value) : [];
      if (types.length > 0 && !diseases.some((d) => d.code === t!.value)) diseases.push({ code: t!.value, types });
      else if (types.length === 0) unknown.push(value);
    }
    const format = `"${SNOMED_SYSTEM}|<SNOMED code>" with a supported target disease code, e.g. "${SNOMED_SYSTEM}|14189004"`;
    if (asked.length === 0) errors.push(`Search parameter target-disease must have one or more values in the format ${format}.`);
    else if (diseases.length === 0)
      errors.push(`Search parameter target-disease has no supported target disease (${quote(unknown)}); each value must be ${format}.`);
    else {
      if (unknown.length > 0) {
        warnings.push(
          warning(
            'invalid',
            `Search parameter target-disease: ${quote(unknown)} ${unknown.length === 1 ? 'is not a supported target disease' : 'are not supported target diseases'} and ${unknown.length === 1 ? 'was' : 'were'} ignored (expected ${format}).`,
          ),
        );
      }
      selection = { by: 'disease', diseases: diseases.sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0)) };
    }
  } else {
    errors.push('Search parameter -immunization.target or target-disease is required with patient.identifier.');
  }

  const date = (name: typeof P.dateFrom | typeof P.dateTo): string | null => (has(name) && !shapeProblem(name) ? shape.dto[name]! : null);
  const dateFrom = date(P.dateFrom);
  const dateTo = date(P.dateTo);
  if (dateFrom !== null && dateTo !== null && dateFrom > dateTo) {
    errors.push('Search parameter -date.from must not be after -date.to.');
  }

  if (errors.length > 0) throw invalid(errors);
  return {
    kind: 'patient',
    nhsNumber: nhsNumber!,
    selection: selection!,
    dateFrom,
    dateTo,
    include,
    count,
    countGiven: has(P.count),
    cursor,
    warnings,
  };
}

function invalid(diagnostics: string[]): FhirError {
  return new FhirError(
    400,
    diagnostics.map((d) => issue('error', 'invalid', 'INVALID', d)),
  );
}

/** What a search applied, after permissions: the basis of the self link. */
export type AppliedSearch =
  | {
      kind: 'patient';
      nhsNumber: string;
      types: string[] | null;
      diseaseCodes: string[] | null;
      dateFrom: string | null;
      dateTo: string | null;
      include: boolean;
      count: number | null;
    }
  | { kind: 'identifier'; system: string; value: string; elements: Element[] | null; include: boolean; count: number | null };

/**
 * The query string of a self link: only what was applied, parameters in a fixed order, vaccine types
 * and target diseases sorted, so equal searches give equal links. With `page` (a next link, or the
 * self link of a later page) it adds the page size in effect and the cursor.
 */
export function searchQueryString(a: AppliedSearch, page?: { count: number; cursor: SearchCursor }): string {
  const p = new Map<string, string>();
  if (a.kind === 'patient') {
    p.set(P.patientIdentifier, `${NHS_NUMBER_SYSTEM}|${a.nhsNumber}`);
    if (a.types) p.set(P.target, [...a.types].sort().join(','));
    if (a.diseaseCodes)
      p.set(
        P.targetDisease,
        [...a.diseaseCodes]
          .sort()
          .map((c) => `${SNOMED_SYSTEM}|${c}`)
          .join(','),
      );
    if (a.dateFrom) p.set(P.dateFrom, a.dateFrom);
    if (a.dateTo) p.set(P.dateTo, a.dateTo);
  } else {
    p.set(P.identifier, `${escape(a.system)}|${escape(a.value)}`);
    if (a.elements) p.set(P.elements, a.elements.join(','));
  }
  if (a.include) p.set(P.include, INCLUDE_PATIENT);
  const count = page ? page.count : a.count;
  if (count !== null) p.set(P.count, String(count));
  if (page) p.set(P.cursor, encodeCursor(page.cursor));
  const q = new URLSearchParams();
  for (const name of LINK_ORDER) if (p.has(name)) q.set(name, p.get(name)!);
  return q.toString();
}
