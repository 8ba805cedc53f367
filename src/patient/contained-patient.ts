import { NHS_NUMBER_SYSTEM, NhsNumber } from '../kernel/terminology';

/** The contained Patient as this service accepts it (docs/validation-rules.md §1, §3). */
export interface ContainedPatient {
  resourceType: 'Patient';
  id?: string;
  identifier?: { system?: string; value?: string }[];
  name?: { use?: string; family?: string; given?: string[]; period?: { start?: string; end?: string } }[];
  gender?: string;
  birthDate?: string;
  address?: { postalCode?: string; [element: string]: unknown }[];
}

/** Index in `contained` of the first Patient, or -1. Safe on any input. */
export function containedPatientIndex(resource: unknown): number {
  const contained = (resource as { contained?: unknown } | null)?.contained;
  if (!Array.isArray(contained)) return -1;
  return contained.findIndex((r) => r !== null && typeof r === 'object' && (r as { resourceType?: unknown }).resourceType === 'Patient');
}

/** The (first) contained Patient of an Immunization, or null when there is none. Safe on any input. */
export function containedPatient(resource: unknown): ContainedPatient | null {
  const i = containedPatientIndex(resource);
  return i < 0 ? null : ((resource as { contained: unknown[] }).contained[i] as ContainedPatient);
}

/**
 * The contained Patient's NHS number, or null when the Patient carries none (allowed: such records
 * are never found by patient search and raise no notification). Only a single identifier with the
 * NHS-number system and a valid check digit counts, so a stray value can never leak into search.
 */
export function nhsNumberOf(resource: unknown): string | null {
  const identifiers = containedPatient(resource)?.identifier;
  if (!Array.isArray(identifiers) || identifiers.length !== 1) return null;
  const identifier = identifiers[0];
  if (identifier === null || typeof identifier !== 'object' || identifier.system !== NHS_NUMBER_SYSTEM) return null;
  return NhsNumber.parse(identifier.value)?.value ?? null;
}
