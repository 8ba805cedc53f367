import { dateTimeSpan } from './fhir-date';
import { isObject } from './json';

/** An instant or span the name must be current at (the vaccination's occurrence). */
export interface Span {
  low: number;
  high: number;
}

function isCurrent(name: unknown, at: Span): boolean {
  if (!isObject(name) || !isObject(name.period)) return true;
  const start = dateTimeSpan(name.period.start);
  const end = dateTimeSpan(name.period.end);
  return (!start || start.low <= at.high) && (!end || at.low <= end.high);
}

/**
 * Which of the Patient's names counts (docs/validation-rules.md §3): the single entry; else the first
 * current `official` one; else the first current one that is not `old`; else the first. A name is
 * current when it has no period or its period overlaps `at` (the occurrence).
 */
export function selectedNameIndex(names: readonly unknown[], at: Span): number {
  if (names.length <= 1) return 0;
  const official = names.findIndex((n) => isObject(n) && n.use === 'official' && isCurrent(n, at));
  if (official >= 0) return official;
  const usable = names.findIndex((n) => isObject(n) && n.use !== 'old' && isCurrent(n, at));
  return usable >= 0 ? usable : 0;
}
