import { bodyLimitIssues } from './body-limits';
import { containedPath } from './fhir-path';
import { parseOccurrenceDateTime, parseRecorded } from './fhir-date';
import { structuralIssues, structureValidator } from './fhir-structure';
import { isObject, type JsonObject } from './json';
import type { Located, RuleInput } from './rule';
import { IMMUNIZATION_RULES } from './rules/immunization-rules';
import type { ValidationContext, ValidationIssue } from './validation-issue';

export type { ValidationContext, ValidationIssue } from './validation-issue';

function firstContained(resource: JsonObject, type: string): Located | undefined {
  if (!Array.isArray(resource.contained)) return undefined;
  const index = resource.contained.findIndex((r) => isObject(r) && r.resourceType === type);
  return index < 0 ? undefined : { node: resource.contained[index] as JsonObject, index, path: containedPath(resource, index) };
}

/** Expressions of `path` and of every element above it (`A.b[0].c` → `A.b[0].c`, `A.b[0]`, `A.b`, `A`). */
function selfAndAncestors(path: string): string[] {
  const out = [path];
  for (let i = path.length - 1; i > 0; i--) if (path[i] === '.' || path[i] === '[') out.push(path.slice(0, i));
  return out;
}

/**
 * Compiles the structural validator now instead of on the first request (about 0.4 s of CPU:
 * reading the R4 schema, narrowing it, Ajv code generation). Call it at start-up; returns the ms spent.
 */
export function warmUpValidation(): number {
  return structureValidator().compileMs;
}

/**
 * Validates an Immunization create or update body against docs/validation-rules.md §1–§7 (body part):
 * FHIR R4 structure and the service's element lists first, then every business rule in order.
 * Returns every problem at once, one issue each; [] means valid. Never throws on any JSON input.
 *
 * A business issue about an element the structural stage already reported (the same element or
 * one inside it) is dropped, so one problem gives one issue.
 */
export function validateImmunization(body: unknown, ctx: ValidationContext): ValidationIssue[] {
  if (!isObject(body)) {
    const kind = body === null ? 'null' : Array.isArray(body) ? 'an array' : typeof body;
    return [
      {
        rule: 'immunization.resourceType',
        expression: 'Immunization',
        diagnostics: `The body must be a JSON object, an Immunization resource, not ${kind}`,
      },
    ];
  }
  // Size limits first: the schema stage below is only bounded once arrays and values are.
  const tooBig = bodyLimitIssues(body);
  if (tooBig.length > 0) return tooBig;
  const issues = structuralIssues(body);
  const covered = new Set(issues.map((i) => i.expression));
  const input: RuleInput = {
    resource: body,
    mode: ctx.mode,
    pathId: ctx.mode === 'update' ? ctx.pathId : undefined,
    now: ctx.now ?? new Date(),
    patient: firstContained(body, 'Patient'),
    practitioner: firstContained(body, 'Practitioner'),
    occurrence: parseOccurrenceDateTime(body.occurrenceDateTime),
    recorded: parseRecorded(body.recorded),
    facts: {},
  };
  for (const rule of IMMUNIZATION_RULES) {
    for (const found of rule.check(input)) {
      if (covered.size > 0 && selfAndAncestors(found.expression).some((e) => covered.has(e))) continue;
      issues.push(found);
    }
  }
  return issues;
}
