import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const vaccineTypes = JSON.parse(readFileSync(join(__dirname, '../../config/vaccine-types.json'), 'utf8')) as Record<
  string,
  { diseases: [string, string][] }
>;

/**
 * A valid NHS number (modulus 11) made from a 9-digit stem that does not start with 0; a stem
 * whose check digit would be 10 moves on to the next stem (at most a few steps).
 */
export function nhsNumber(seed = Math.floor(Math.random() * 9e8)): string {
  for (let s = 1e8 + (seed % 9e8); ; s = s + 1 >= 1e9 ? 1e8 : s + 1) {
    const stem = String(s);
    const sum = [...stem].reduce((acc, d, i) => acc + Number(d) * (10 - i), 0);
    const check = 11 - (sum % 11);
    if (check === 10) continue;
    return stem + String(check === 11 ? 0 : check);
  }
}

export interface FixtureOptions {
  vaccineType?: string;
  nhsNumber?: string | null;
  identifierValue?: string;
  identifierSystem?: string;
  occurrenceDateTime?: string;
  city?: string;
}

/** A valid Immunization (the national e2e tests' create request, parameterised). */
export function immunization(o: FixtureOptions = {}): Record<string, any> {
  const type = o.vaccineType ?? 'FLU';
  const diseases = vaccineTypes[type].diseases;
  const patient: Record<string, unknown> = {
    resourceType: 'Patient',
    id: 'Pat1',
    name: [{ family: 'OAKLEY', given: ['PHILLIPS'] }],
    gender: 'male',
    birthDate: '2009-09-23',
    address: [{ use: 'home', type: 'postal', line: ['Notgiven'], city: o.city ?? 'City', postalCode: 'ZZ99 4QZ', country: 'UK' }],
  };
  const nhs = o.nhsNumber === undefined ? nhsNumber() : o.nhsNumber;
  if (nhs !== null) patient.identifier = [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhs }];
  return {
    resourceType: 'Immunization',
    contained: [{ resourceType: 'Practitioner', id: 'Pract1', name: [{ family: 'Furlong', given: ['Darren'] }] }, patient],
    extension: [
      {
        url: 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-VaccinationProcedure',
        valueCodeableConcept: {
          coding: [
            {
              system: 'http://snomed.info/sct',
              code: '884861000000100',
              display: 'Administration of first intranasal seasonal influenza vaccination (procedure)',
            },
          ],
        },
      },
    ],
    identifier: [{ system: o.identifierSystem ?? 'https://supplierABC/identifiers/vacc', value: o.identifierValue ?? randomUUID() }],
    status: 'completed',
    vaccineCode: { coding: [{ system: 'http://snomed.info/sct', code: '34680411000001107', display: 'Quadrivalent influenza vaccine' }] },
    patient: { reference: '#Pat1', type: 'Patient' },
    manufacturer: { display: 'Sanofi Pasteur' },
    location: { identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'X99999' } },
    site: { coding: [{ system: 'http://snomed.info/sct', code: '368208006', display: 'Left upper arm structure' }] },
    route: { coding: [{ system: 'http://snomed.info/sct', code: '34206005', display: 'Subcutaneous route' }] },
    doseQuantity: { value: 0.3, unit: 'Inhalation - unit of product usage', system: 'http://snomed.info/sct', code: '2622896019' },
    performer: [
      { actor: { reference: '#Pract1', type: 'Practitioner' } },
      { actor: { type: 'Organization', identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'B0C4P' } } },
    ],
    reasonCode: [{ coding: [{ system: 'http://snomed.info/sct', code: '310578008', display: 'Routine immunization schedule' }] }],
    protocolApplied: [
      {
        targetDisease: diseases.map(([code, display]) => ({ coding: [{ system: 'http://snomed.info/sct', code, display }] })),
        doseNumberPositiveInt: 1,
      },
    ],
    occurrenceDateTime: o.occurrenceDateTime ?? '2025-11-06T21:07:56.947+00:00',
    recorded: '2025-11-06T21:07:56.947+00:00',
    primarySource: true,
    lotNumber: '794506',
    expirationDate: '2027-11-06',
  };
}

export const BASE = '/immunisation-fhir-api/FHIR/R4';
export const FHIR_JSON = 'application/fhir+json';
