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
}

/**
 * One business rule: a pure function of the body that returns an issue per offending element
 * ([] when satisfied). Checks never throw on malformed input; where the JSON type is wrong the
 * structural stage has already said so and the rule either stays silent or reports at the same
 * expression (the duplicate is dropped).
 */
export interface Rule {
  id: string;
  /** The section of validation-rules.md the rule implements. */
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
  return expression.replace(/^Immunization\.contained\.where\(resourceType='(Patient|Practitioner)'\)/, 'contained $1');
}

/**
 * A required element that must be a non-blank string: "is required" when absent, "must not be
 * empty" when blank. A non-string is the structural stage's to report (same expression, deduplicated).
 */
export function requiredText(rule: string, expression: string, value: unknown, why = ''): readonly ValidationIssue[] {
  if (value === undefined) return [issue(rule, expression, `${label(expression)} is required${why}`)];
  if (typeof value !== 'string') return [issue(rule, expression, `${label(expression)} must be a string`)];
  if (value.trim() === '') return [issue(rule, expression, `${label(expression)} must not be empty or blank`)];
  return OK;
}

/** An optional element that, when sent, must be a non-blank string. */
export function optionalText(rule: string, expression: string, value: unknown): readonly ValidationIssue[] {
  return value === undefined ? OK : requiredText(rule, expression, value);
}
