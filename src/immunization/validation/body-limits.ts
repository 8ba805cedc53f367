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

/** A node still to visit: its value, and where it sits (parent link + key, so no path is copied per node). */
interface Visit {
  node: unknown;
  parent: Visit | null;
  key: string | number;
}

function segmentsOf(v: Visit): (string | number)[] {
  const segments: (string | number)[] = [];
  for (let at: Visit | null = v; at?.parent; at = at.parent) segments.push(at.key);
  return segments.reverse();
}

/** The element an array belongs to: the nearest property name above it (`contained`, `extension`…). */
function elementOf(v: Visit): string {
  for (let at: Visit | null = v; at?.parent; at = at.parent) if (typeof at.key === 'string') return at.key;
  return '';
}

/**
 * Issues for arrays longer than their limit and for bodies with too many JSON values; [] when the
 * body is within limits. Linear in the body, never recursive (an explicit stack), stops early.
 * It runs on every write and batch row, so the happy path allocates one small record per value
 * and builds a FHIRPath only for an array it reports.
 */
export function bodyLimitIssues(body: unknown): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  let values = 0;
  const stack: Visit[] = [{ node: body, parent: null, key: '' }];
  while (stack.length > 0) {
    const visit = stack.pop() as Visit;
    const node = visit.node;
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
      const limit = arrayLimitFor(elementOf(visit));
      if (node.length > limit) {
        const expression = appendPath('Immunization', segmentsOf(visit));
        issues.push({
          rule: 'structure.tooManyItems',
          expression,
          diagnostics: `${expression} has ${node.length} items; at most ${limit} are accepted`,
        });
        if (issues.length >= BODY_LIMITS.reportedArrays) return issues;
        continue; // do not walk into an array already refused
      }
      for (let i = node.length - 1; i >= 0; i--) stack.push({ node: node[i], parent: visit, key: i });
    } else if (node !== null && typeof node === 'object') {
      const keys = Object.keys(node);
      for (let i = keys.length - 1; i >= 0; i--)
        stack.push({ node: (node as Record<string, unknown>)[keys[i]], parent: visit, key: keys[i] });
    }
  }
  return issues;
}
