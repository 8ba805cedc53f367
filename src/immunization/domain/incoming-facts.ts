import type { Immunization } from '@medplum/fhirtypes';
import { nhsNumberOf } from '../../patient/public';
import type { IncomingFacts, StoredImmunization } from './immunization-record';
import { vaccineTypeOf } from '../../kernel/terminology';

/** The facts the write side keys on, read from a resource that has passed validation. */
export function incomingFacts(resource: Immunization): IncomingFacts {
  const identifier = resource.identifier![0] as { system: string; value: string };
  const vaccineType = vaccineTypeOf(resource);
  if (vaccineType === null) throw new Error('incomingFacts called on a resource without a vaccine type (not validated?)');
  return {
    vaccineType,
    nhsNumber: nhsNumberOf(resource),
    identifier: { system: identifier.system, value: identifier.value },
    occurrence: resource.occurrenceDateTime as string,
  };
}

/** The facts of a stored record, optionally with a new NHS number (a delete, a patient merge). */
export function storedFacts(stored: StoredImmunization, nhsNumber = stored.nhsNumber): IncomingFacts {
  return {
    vaccineType: stored.vaccineType,
    nhsNumber,
    identifier: { system: stored.identifierSystem, value: stored.identifierValue },
    occurrence: stored.occurrence,
  };
}
