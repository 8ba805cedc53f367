import { appendPath } from './fhir-path';
import type { ValidationIssue } from './validation-issue';

/**
 * Size limits on an Immunization body, checked by one linear walk BEFORE the FHIR schema runs.
 *
 * Why: all-errors schema validation is not linear in the input. Ajv appends each failing
 * sub-schema's errors by copying the caller's error list, so an array of n bad items costs ~n²
 * (a 98 KB `contained` of 32,000 zeros took 132 s of CPU). A real Immunization has ~100–160 JSON
 * values and no array longer than 3, so these limits are far above any genuine record and keep the
 * worst body that fits MAX_BODY_BYTES to a few milliseconds of validation (bench/validation-worst-bench.js).
 */
export const BODY_LIMITS = {
  /** Items in any one array unless listed in `arrayItemsByElement`. */
  arrayItems: 50,
  /** Tighter caps for elements where more than a handful is meaningless. */
  arrayItemsByElement: { contained: 10 } as Readonly<Record<string, number>>,
  /** JSON values (objects, arrays, strings, numbers, booleans, nulls) in the whole body. */
  values: 5000,
  /** At most this many "too many items" issues are listed; the walk stops after that. */
  reportedArrays: 20,
} as const;

export function arrayLimitFor(element: string): number {
  return BODY_LIMITS.arrayItemsByElement[element] ?? BODY_LIMITS.arrayItems;
}

/**
 * Issues for arrays longer than their limit and for bodies with too many JSON values; [] when the
 * body is within limits. Linear in the body, never recursive (an explicit stack), stops early.
 */
export function bodyLimitIssues(body: unknown): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  let values = 0;
  const stack: { node: unknown; path: (string | number)[] }[] = [{ node: body, path: [] }];
  while (stack.length > 0) {
    const { node, path } = stack.pop() as { node: unknown; path: (string | number)[] };
    values++;
    if (values > BODY_LIMITS.values) {
      return [
        {
          rule: 'structure.tooManyValues',
          expression: 'Immunization',
          diagnostics: `The Immunization holds more than ${BODY_LIMITS.values} JSON values; a record this large is not accepted`,
        },
      ];
    }
    if (Array.isArray(node)) {
      const element = [...path].reverse().find((s): s is string => typeof s === 'string') ?? '';
      const limit = arrayLimitFor(element);
      if (node.length > limit) {
        issues.push({
          rule: 'structure.tooManyItems',
          expression: appendPath('Immunization', path),
          diagnostics: `${appendPath('Immunization', path)} has ${node.length} items; at most ${limit} are accepted`,
        });
        if (issues.length >= BODY_LIMITS.reportedArrays) return issues;
        continue; // do not walk into an array already refused
      }
      for (let i = node.length - 1; i >= 0; i--) stack.push({ node: node[i], path: [...path, i] });
    } else if (node !== null && typeof node === 'object') {
      const entries = Object.entries(node);
      for (let i = entries.length - 1; i >= 0; i--) stack.push({ node: entries[i][1], path: [...path, entries[i][0]] });
    }
  }
  return issues;
}
