import type { Immunization, Patient } from '@medplum/fhirtypes';
import { containedPatientIndex } from '../../patient/public';
import { NHS_NUMBER_SYSTEM } from '../../kernel/terminology';

/**
 * The stored representation with the contained Patient's NHS number replaced (everything else,
 * other identifier elements included, kept as it was). Only called on records whose stored NHS
 * number came from that identifier, so the Patient and its one NHS-number identifier exist.
 */
export function withNhsNumber(resource: Immunization, nhsNumber: string): Immunization {
  const i = containedPatientIndex(resource);
  const contained = [...resource.contained!];
  const patient = contained[i] as Patient;
  contained[i] = {
    ...patient,
    identifier: (patient.identifier ?? []).map((id) => (id?.system === NHS_NUMBER_SYSTEM ? { ...id, value: nhsNumber } : id)),
  };
  return { ...resource, contained };
}
