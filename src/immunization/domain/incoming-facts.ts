import { nhsNumberOf } from '../../patient/public';
import type { IncomingFacts } from './immunization-record';
import { vaccineTypeOf } from './vaccine-type';

/** The facts the write side keys on, read from a resource that has passed validation. */
export function incomingFacts(resource: Record<string, unknown>): IncomingFacts {
  const identifier = (resource.identifier as { system: string; value: string }[])[0];
  const vaccineType = vaccineTypeOf(resource);
  if (vaccineType === null) throw new Error('incomingFacts called on a resource without a vaccine type (not validated?)');
  return {
    vaccineType,
    nhsNumber: nhsNumberOf(resource),
    identifier: { system: identifier.system, value: identifier.value },
    occurrence: resource.occurrenceDateTime as string,
  };
}
