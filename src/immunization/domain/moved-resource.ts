import { containedPatientIndex, NHS_NUMBER_SYSTEM } from '../../patient/public';

/**
 * The stored representation with the contained Patient's NHS number replaced (everything else,
 * other identifier elements included, kept as it was). Only called on records whose stored NHS
 * number came from that identifier, so the Patient and its one NHS-number identifier exist.
 */
export function withNhsNumber(resource: Record<string, unknown>, nhsNumber: string): Record<string, unknown> {
  const i = containedPatientIndex(resource);
  const contained = [...(resource.contained as Record<string, unknown>[])];
  const patient = contained[i] as { identifier?: { system?: string; value?: string }[] };
  contained[i] = {
    ...patient,
    identifier: (patient.identifier ?? []).map((id) => (id?.system === NHS_NUMBER_SYSTEM ? { ...id, value: nhsNumber } : id)),
  };
  return { ...resource, contained };
}
