import type { Immunization } from '@medplum/fhirtypes';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dateTimeSpan, selectedNameIndex } from '../../immunization/public';

/** The 34 fields of a flat record (batch file row, delta export), in file order. */
export const FLAT_FIELDS = [
  'NHS_NUMBER',
  'PERSON_FORENAME',
  'PERSON_SURNAME',
  'PERSON_DOB',
  'PERSON_GENDER_CODE',
  'PERSON_POSTCODE',
  'DATE_AND_TIME',
  'SITE_CODE',
  'SITE_CODE_TYPE_URI',
  'UNIQUE_ID',
  'UNIQUE_ID_URI',
  'ACTION_FLAG',
  'PERFORMING_PROFESSIONAL_FORENAME',
  'PERFORMING_PROFESSIONAL_SURNAME',
  'RECORDED_DATE',
  'PRIMARY_SOURCE',
  'VACCINATION_PROCEDURE_CODE',
  'VACCINATION_PROCEDURE_TERM',
  'DOSE_SEQUENCE',
  'VACCINE_PRODUCT_CODE',
  'VACCINE_PRODUCT_TERM',
  'VACCINE_MANUFACTURER',
  'BATCH_NUMBER',
  'EXPIRY_DATE',
  'SITE_OF_VACCINATION_CODE',
  'SITE_OF_VACCINATION_TERM',
  'ROUTE_OF_VACCINATION_CODE',
  'ROUTE_OF_VACCINATION_TERM',
  'DOSE_AMOUNT',
  'DOSE_UNIT_CODE',
  'DOSE_UNIT_TERM',
  'INDICATION_CODE',
  'LOCATION_CODE',
  'LOCATION_CODE_TYPE_URI',
] as const;

export type FlatField = (typeof FLAT_FIELDS)[number];
export type FlatRecord = Record<FlatField, string>;

export const SNOMED = 'http://snomed.info/sct';
export const NHS_NUMBER_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';
export const ODS_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code';
export const PROCEDURE_URL = 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-VaccinationProcedure';
export const SCT_DESC_DISPLAY_URL = 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-CodingSCTDescDisplay';
export const DEFAULT_POSTCODE = 'ZZ99 3CZ';
export const DEFAULT_LOCATION = 'X99999';

const GENDER_TO_FHIR: Record<string, string> = { '1': 'male', '2': 'female', '9': 'other', '0': 'unknown' };
const GENDER_TO_FLAT: Record<string, string> = { male: '1', female: '2', other: '9', unknown: '0' };

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '');

/** The target diseases of each vaccine type (config/vaccine-types.json), with their displays. */
const DISEASES: Record<string, { diseases: [string, string][] }> = JSON.parse(
  readFileSync(join(__dirname, '../../..', 'config', 'vaccine-types.json'), 'utf8'),
);

export function emptyFlat(): FlatRecord {
  return Object.fromEntries(FLAT_FIELDS.map((f) => [f, ''])) as FlatRecord;
}

// ---------------------------------------------------------------------------------------------
// flat → FHIR (ingestion). The conversion never refuses: a value it cannot turn into the FHIR
// form is passed on as it is, so that the API's own validation reports it with a FHIR expression.

/** `YYYYMMDD` → `YYYY-MM-DD`; anything else unchanged. */
export function flatDateToFhir(v: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(v);
  return m ? `${m[1]}-${m[2]}-${m[3]}` : v;
}

/** `YYYYMMDDThhmmss` + `00` (+00:00) or `01` (+01:00) → FHIR dateTime; a bare `YYYYMMDD` → date. */
export function flatDateTimeToFhir(v: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(00|01)$/.exec(v);
  if (m) return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7] === '00' ? '+00:00' : '+01:00'}`;
  return flatDateToFhir(v);
}

function snomedConcept(code: string, term: string): Json | undefined {
  if (!code && !term) return undefined;
  const coding: Json = { system: SNOMED };
  if (code) coding.code = code;
  if (term) coding.display = term;
  return { coding: [coding] };
}

/**
 * A flat row as an Immunization resource (no id): contained Patient `Pat1` and, when named,
 * Practitioner `Pract1`; target disease from the file's vaccine type.
 */
export function flatToFhir(r: FlatRecord, vaccineType: string): Json {
  const patient: Json = { resourceType: 'Patient', id: 'Pat1' };
  if (r.NHS_NUMBER) patient.identifier = [{ system: NHS_NUMBER_SYSTEM, value: r.NHS_NUMBER }];
  if (r.PERSON_FORENAME || r.PERSON_SURNAME) {
    const name: Json = {};
    if (r.PERSON_SURNAME) name.family = r.PERSON_SURNAME;
    if (r.PERSON_FORENAME) name.given = r.PERSON_FORENAME.split(' ').filter((g) => g !== '');
    patient.name = [name];
  }
  if (r.PERSON_GENDER_CODE) patient.gender = GENDER_TO_FHIR[r.PERSON_GENDER_CODE] ?? r.PERSON_GENDER_CODE;
  if (r.PERSON_DOB) patient.birthDate = flatDateToFhir(r.PERSON_DOB);
  if (r.PERSON_POSTCODE) patient.address = [{ postalCode: r.PERSON_POSTCODE }];

  const contained: Json[] = [];
  const performer: Json[] = [];
  if (r.PERFORMING_PROFESSIONAL_FORENAME || r.PERFORMING_PROFESSIONAL_SURNAME) {
    const name: Json = {};
    if (r.PERFORMING_PROFESSIONAL_SURNAME) name.family = r.PERFORMING_PROFESSIONAL_SURNAME;
    if (r.PERFORMING_PROFESSIONAL_FORENAME) name.given = r.PERFORMING_PROFESSIONAL_FORENAME.split(' ').filter((g) => g !== '');
    contained.push({ resourceType: 'Practitioner', id: 'Pract1', name: [name] });
    performer.push({ actor: { reference: '#Pract1' } });
  }
  contained.push(patient);
  if (r.SITE_CODE || r.SITE_CODE_TYPE_URI) {
    const identifier: Json = {};
    if (r.SITE_CODE_TYPE_URI) identifier.system = r.SITE_CODE_TYPE_URI;
    if (r.SITE_CODE) identifier.value = r.SITE_CODE;
    performer.push({ actor: { type: 'Organization', identifier } });
  }

  const res: Json = { resourceType: 'Immunization', contained };
  const procedure = snomedConcept(r.VACCINATION_PROCEDURE_CODE, r.VACCINATION_PROCEDURE_TERM);
  if (procedure) res.extension = [{ url: PROCEDURE_URL, valueCodeableConcept: procedure }];
  const identifier: Json = {};
  if (r.UNIQUE_ID_URI) identifier.system = r.UNIQUE_ID_URI;
  if (r.UNIQUE_ID) identifier.value = r.UNIQUE_ID;
  res.identifier = [identifier];
  res.status = 'completed';
  const product = snomedConcept(r.VACCINE_PRODUCT_CODE, r.VACCINE_PRODUCT_TERM);
  if (product) res.vaccineCode = product;
  res.patient = { reference: '#Pat1' };
  if (r.DATE_AND_TIME) res.occurrenceDateTime = flatDateTimeToFhir(r.DATE_AND_TIME);
  if (r.RECORDED_DATE) res.recorded = flatDateToFhir(r.RECORDED_DATE);
  if (r.PRIMARY_SOURCE) {
    const p = r.PRIMARY_SOURCE.toUpperCase();
    res.primarySource = p === 'TRUE' ? true : p === 'FALSE' ? false : r.PRIMARY_SOURCE;
  }
  if (r.VACCINE_MANUFACTURER) res.manufacturer = { display: r.VACCINE_MANUFACTURER };
  res.location = { identifier: { system: r.LOCATION_CODE_TYPE_URI || ODS_SYSTEM, value: r.LOCATION_CODE || DEFAULT_LOCATION } };
  if (r.BATCH_NUMBER) res.lotNumber = r.BATCH_NUMBER;
  if (r.EXPIRY_DATE) res.expirationDate = flatDateToFhir(r.EXPIRY_DATE);
  const site = snomedConcept(r.SITE_OF_VACCINATION_CODE, r.SITE_OF_VACCINATION_TERM);
  if (site) res.site = site;
  const route = snomedConcept(r.ROUTE_OF_VACCINATION_CODE, r.ROUTE_OF_VACCINATION_TERM);
  if (route) res.route = route;
  if (r.DOSE_AMOUNT || r.DOSE_UNIT_CODE || r.DOSE_UNIT_TERM) {
    const q: Json = {};
    if (r.DOSE_AMOUNT) q.value = /^-?\d+(\.\d+)?$/.test(r.DOSE_AMOUNT) ? Number(r.DOSE_AMOUNT) : r.DOSE_AMOUNT;
    if (r.DOSE_UNIT_TERM) q.unit = r.DOSE_UNIT_TERM;
    if (r.DOSE_UNIT_CODE) {
      q.system = SNOMED;
      q.code = r.DOSE_UNIT_CODE;
    }
    res.doseQuantity = q;
  }
  if (performer.length) res.performer = performer;
  if (r.INDICATION_CODE) res.reasonCode = [{ coding: [{ system: SNOMED, code: r.INDICATION_CODE }] }];
  const protocol: Json = {
    targetDisease: (DISEASES[vaccineType]?.diseases ?? []).map(([code, display]) => ({ coding: [{ system: SNOMED, code, display }] })),
  };
  if (r.DOSE_SEQUENCE) {
    if (/^[1-9]\d{0,8}$/.test(r.DOSE_SEQUENCE)) protocol.doseNumberPositiveInt = Number(r.DOSE_SEQUENCE);
    else protocol.doseNumberString = r.DOSE_SEQUENCE;
  }
  res.protocolApplied = [protocol];
  return res;
}

// ---------------------------------------------------------------------------------------------
// FHIR → flat (delta export).

/** A term: CodeableConcept.text, then the SCTDescDisplay extension, then the SNOMED coding's display. */
function snomedOf(concept: unknown): { code: string; term: string } {
  if (!isObj(concept)) return { code: '', term: '' };
  const coding = arr(concept.coding).find((c) => isObj(c) && c.system === SNOMED) as Json | undefined;
  if (!coding) return { code: '', term: str(concept.text) };
  const ext = arr(coding.extension).find((e) => isObj(e) && e.url === SCT_DESC_DISPLAY_URL) as Json | undefined;
  const term = str(concept.text) || str(ext?.valueString) || str(coding.display);
  return { code: str(coding.code), term };
}

const compactDate = (v: unknown) => {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(str(v));
  return m ? `${m[1]}${m[2]}${m[3]}` : '';
};

/** FHIR dateTime → `YYYYMMDDThhmmss00|01`; other offsets cannot be written (error). */
export function fhirDateTimeToFlat(v: string): { value: string; error?: string } {
  if (v === '') return { value: '' };
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?(Z|[+-]\d{2}:\d{2}))?$/.exec(v);
  if (!m) return { value: '', error: `DATE_AND_TIME: ${v} is not a FHIR dateTime` };
  if (m[4] === undefined) return { value: `${m[1]}${m[2]}${m[3]}` };
  const zone = m[7] === 'Z' || m[7] === '+00:00' ? '00' : m[7] === '+01:00' ? '01' : null;
  if (zone === null) return { value: '', error: `DATE_AND_TIME: offset ${m[7]} cannot be written (only +00:00 and +01:00)` };
  return { value: `${m[1]}${m[2]}${m[3]}T${m[4]}${m[5]}${m[6] ?? '00'}${zone}` };
}

const ACTION_OF = { CREATE: 'NEW', UPDATE: 'UPDATE', DELETE: 'DELETE' } as const;

/** A stored Immunization as a flat record, and the fields that could not be written. */
export function fhirToFlat(
  resource: Immunization | Json,
  operation: 'CREATE' | 'UPDATE' | 'DELETE',
): { record: FlatRecord; errors: string[] } {
  // Read element by element, defensively: a stored record may predate a validation rule.
  const res = resource as Json;
  const r = emptyFlat();
  const errors: string[] = [];
  const contained = arr(res.contained).filter(isObj);
  const patient = contained.find((c) => c.resourceType === 'Patient');
  const practitioner = contained.find((c) => c.resourceType === 'Practitioner');
  if (patient) {
    const nhs = arr(patient.identifier).find((i) => isObj(i) && i.system === NHS_NUMBER_SYSTEM) as Json | undefined;
    r.NHS_NUMBER = str(nhs?.value);
    const names = arr(patient.name);
    if (names.length) {
      const at = dateTimeSpan(res.occurrenceDateTime) ?? { low: Date.now(), high: Date.now() };
      const name = names[selectedNameIndex(names, at)];
      if (isObj(name)) {
        r.PERSON_FORENAME = arr(name.given).map(str).join(' ');
        r.PERSON_SURNAME = str(name.family);
      }
    }
    r.PERSON_DOB = compactDate(patient.birthDate);
    r.PERSON_GENDER_CODE = GENDER_TO_FLAT[str(patient.gender)] ?? '';
    const address = arr(patient.address).find((a) => isObj(a) && str(a.postalCode) !== '') as Json | undefined;
    r.PERSON_POSTCODE = str(address?.postalCode) || DEFAULT_POSTCODE;
  } else r.PERSON_POSTCODE = DEFAULT_POSTCODE;
  const when = fhirDateTimeToFlat(str(res.occurrenceDateTime));
  r.DATE_AND_TIME = when.value;
  if (when.error) errors.push(when.error);
  const org = arr(res.performer)
    .map((p) => (isObj(p) && isObj(p.actor) ? p.actor : null))
    .find((a) => a !== null && (a.type === 'Organization' || isObj(a.identifier))) as Json | undefined;
  if (org && isObj(org.identifier)) {
    r.SITE_CODE = str(org.identifier.value);
    r.SITE_CODE_TYPE_URI = str(org.identifier.system);
  }
  const id0 = arr(res.identifier)[0];
  if (isObj(id0)) {
    r.UNIQUE_ID = str(id0.value);
    r.UNIQUE_ID_URI = str(id0.system);
  }
  r.ACTION_FLAG = ACTION_OF[operation];
  const pname = arr(practitioner?.name)[0];
  if (isObj(pname)) {
    r.PERFORMING_PROFESSIONAL_FORENAME = arr(pname.given).map(str).join(' ');
    r.PERFORMING_PROFESSIONAL_SURNAME = str(pname.family);
  }
  r.RECORDED_DATE = compactDate(res.recorded);
  r.PRIMARY_SOURCE = res.primarySource === true ? 'TRUE' : res.primarySource === false ? 'FALSE' : '';
  const proc = arr(res.extension).find((e) => isObj(e) && e.url === PROCEDURE_URL) as Json | undefined;
  ({ code: r.VACCINATION_PROCEDURE_CODE, term: r.VACCINATION_PROCEDURE_TERM } = snomedOf(proc?.valueCodeableConcept));
  const protocol = arr(res.protocolApplied)[0];
  if (isObj(protocol)) r.DOSE_SEQUENCE = str(protocol.doseNumberPositiveInt) || str(protocol.doseNumberString);
  ({ code: r.VACCINE_PRODUCT_CODE, term: r.VACCINE_PRODUCT_TERM } = snomedOf(res.vaccineCode));
  r.VACCINE_MANUFACTURER = isObj(res.manufacturer) ? str(res.manufacturer.display) : '';
  r.BATCH_NUMBER = str(res.lotNumber);
  r.EXPIRY_DATE = compactDate(res.expirationDate);
  ({ code: r.SITE_OF_VACCINATION_CODE, term: r.SITE_OF_VACCINATION_TERM } = snomedOf(res.site));
  ({ code: r.ROUTE_OF_VACCINATION_CODE, term: r.ROUTE_OF_VACCINATION_TERM } = snomedOf(res.route));
  if (isObj(res.doseQuantity)) {
    const q = res.doseQuantity;
    r.DOSE_AMOUNT = str(q.value);
    r.DOSE_UNIT_CODE = q.system === SNOMED ? str(q.code) : '';
    r.DOSE_UNIT_TERM = str(q.unit);
  }
  const reason = arr(res.reasonCode)[0];
  r.INDICATION_CODE = snomedOf(reason).code;
  const loc = isObj(res.location) && isObj(res.location.identifier) ? res.location.identifier : null;
  r.LOCATION_CODE = str(loc?.value) || DEFAULT_LOCATION;
  r.LOCATION_CODE_TYPE_URI = str(loc?.system) || ODS_SYSTEM;
  return { record: r, errors };
}
