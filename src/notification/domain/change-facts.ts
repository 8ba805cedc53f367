import type { Immunization } from '@medplum/fhirtypes';
import type { ChangeOperation } from '../../immunization/public';
import { containedPatient } from '../../patient/public';

/** What the outbox keeps of one change, and what every signal about it carries. */
export interface ChangeFacts {
  version: number;
  operation: ChangeOperation;
  supplier: string;
  vaccineType: string;
  nhsNumber: string;
  sourceOrganisation: string | null;
  subjectAge: number | null;
  recordedAt: Date;
}

/**
 * The ODS code of the organisation that gave the vaccination: the identifier value of the first
 * performer whose actor is an Organization (validation guarantees one on live records).
 */
export function sourceOrganisationOf(resource: Immunization): string | null {
  const performers = resource.performer;
  if (!Array.isArray(performers)) return null;
  for (const p of performers) {
    const actor = (p as { actor?: { type?: unknown; identifier?: { value?: unknown } } } | null)?.actor;
    if (actor?.type === 'Organization' && typeof actor.identifier?.value === 'string' && actor.identifier.value !== '') {
      return actor.identifier.value;
    }
  }
  return null;
}

/**
 * Age in whole years on the day of `at` (UTC calendar), from a FHIR date (YYYY, YYYY-MM or
 * YYYY-MM-DD; a partial date counts from the first day it can mean). Null when there is no usable date.
 */
export function ageInYears(birthDate: unknown, at: Date): number | null {
  if (typeof birthDate !== 'string') return null;
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(birthDate);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2] ?? 1), Number(m[3] ?? 1)];
  let age = at.getUTCFullYear() - y;
  const beforeBirthday = at.getUTCMonth() + 1 < mo || (at.getUTCMonth() + 1 === mo && at.getUTCDate() < d);
  if (beforeBirthday) age--;
  return age >= 0 ? age : null;
}

/** Age of the contained Patient when the change happened. */
export function subjectAgeOf(resource: Immunization, at: Date): number | null {
  return ageInYears(containedPatient(resource)?.birthDate, at);
}
