import { FhirError, issue, OutcomeIssue } from '../fhir/operation-outcome';
import { SNOMED_SYSTEM, VaccineType, NHS_NUMBER_SYSTEM, NhsNumber } from '../kernel/terminology';
import { decodeCursor, SearchCursor } from './search-cursor';
import { orValues, splitUnescaped, token } from './search-escaping';
import { searchParameterShape } from './search-parameters.dto';

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

const KNOWN = new Set<string>(Object.values(P));
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
