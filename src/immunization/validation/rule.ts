import type { FhirMoment } from './fhir-date';
import type { JsonObject } from './json';
import type { ValidationIssue } from './validation-issue';

/** A contained resource located in the body: the node, its index and its FHIRPath. */
export interface Located {
  node: JsonObject;
  index: number;
  path: string;
}

/** What every business rule sees: the body (a JSON object, maybe malformed inside) plus derived facts. */
export interface RuleInput {
  resource: JsonObject;
  mode: 'create' | 'update';
  pathId: string | undefined;
  now: Date;
  /** The first contained Patient, when there is one that is an object. */
  patient: Located | undefined;
  /** The first contained Practitioner, when there is one that is an object. */
  practitioner: Located | undefined;
  /** `occurrenceDateTime` when it is in an accepted form, else null. */
  occurrence: FhirMoment | null;
  /** `recorded` when it is in an accepted form, else null. */
  recorded: FhirMoment | null;
  /** Facts several rules derive from the body, each computed on first use (see {@link memo}). */
  facts: Partial<Facts>;
}

/** Derived facts shared between rules; `null` = computed, nothing there. */
export interface Facts {
  organizationIndexes: number[];
  practitionerIds: string[];
  diseaseCodes: (string | null)[] | null;
  selectedName: { name: unknown; index: number } | null;
}

/**
 * Computes a derived fact once per validation and shares it between rules (a plain object field:
 * cheaper than a Map on the hot path).
 */
export function memo<K extends keyof Facts>(input: RuleInput, key: K, compute: () => Facts[K]): Facts[K] {
  const known = input.facts[key];
  if (known !== undefined) return known as Facts[K];
  const value = compute();
  input.facts[key] = value;
  return value;
}

/**
 * One business rule: a pure function of the body that returns an issue per offending element
 * ([] when satisfied). Checks never throw on malformed input; where the JSON type is wrong the
 * structural stage has already said so and the rule either stays silent or reports at the same
 * expression (the duplicate is dropped).
 */
export interface Rule {
  id: string;
  /** The section of docs/validation-rules.md the rule implements. */
  section: string;
  check(input: RuleInput): readonly ValidationIssue[];
}

export const OK: readonly ValidationIssue[] = Object.freeze([]);

export function issue(rule: string, expression: string, diagnostics: string): ValidationIssue {
  return { rule, expression, diagnostics };
}

/**
 * A FHIRPath shortened for diagnostics: `Immunization.contained.where(resourceType='Patient').birthDate`
 * reads as `contained Patient.birthDate`.
 */
export function label(expression: string): string {
  if (!expression.startsWith('Immunization.contained.where(')) return expression;
  return expression.replace(/^Immunization\.contained\.where\(resourceType='(Patient|Practitioner)'\)/, 'contained $1');
}

/**
 * A required element that must be a non-blank string: "is required" when absent, "must not be
 * empty" when blank. A non-string is the structural stage's to report (same expression, deduplicated).
 */
export function requiredText(rule: string, expression: string | (() => string), value: unknown, why = ''): readonly ValidationIssue[] {
  if (typeof value === 'string' && value.trim() !== '') return OK; // the common case builds no path
  const path = typeof expression === 'string' ? expression : expression();
  if (value === undefined) return [issue(rule, path, `${label(path)} is required${why}`)];
  if (typeof value !== 'string') return [issue(rule, path, `${label(path)} must be a string`)];
  return [issue(rule, path, `${label(path)} must not be empty or blank`)];
}

/** An optional element that, when sent, must be a non-blank string. */
export function optionalText(rule: string, expression: string | (() => string), value: unknown): readonly ValidationIssue[] {
  return value === undefined ? OK : requiredText(rule, expression, value);
}
