import { SNOMED_SYSTEM, SnomedConceptId } from '../../../kernel/terminology';
import { isObject, show } from '../json';
import { issue } from '../rule';
import type { ValidationIssue } from '../validation-issue';

/** The codings of a CodeableConcept that are SNOMED CT, with their index. */
export function snomedCodings(codings: unknown): { coding: Record<string, unknown>; index: number }[] {
  const out: { coding: Record<string, unknown>; index: number }[] = [];
  if (!Array.isArray(codings)) return out;
  for (let index = 0; index < codings.length; index++) {
    const c: unknown = codings[index];
    if (isObject(c) && c.system === SNOMED_SYSTEM) out.push({ coding: c, index });
  }
  return out;
}

/** One issue per SNOMED CT coding whose code is missing or not a valid concept id. */
export function conceptIdIssues(rule: string, codingsPath: string, codings: unknown): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  for (const { coding, index } of snomedCodings(codings)) {
    const problem = coding.code === undefined ? null : SnomedConceptId.problem(coding.code);
    if (coding.code !== undefined && problem === null) continue;
    const path = `${codingsPath}[${index}].code`;
    out.push(
      problem === null
        ? issue(rule, path, `${path} is required on a SNOMED CT coding`)
        : issue(rule, path, `${path} ${show(coding.code)} is not a valid SNOMED CT concept id: it ${problem}`),
    );
  }
  return out;
}
