import { NHS_NUMBER_SYSTEM, SNOMED_SYSTEM, VaccineType } from '../../kernel/terminology';
import { DEFAULT_LOCATION, GENDER_TO_FHIR, Json, ODS_SYSTEM, PROCEDURE_URL, FlatRecord } from './flat-record';

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
  const coding: Json = { system: SNOMED_SYSTEM };
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
      q.system = SNOMED_SYSTEM;
      q.code = r.DOSE_UNIT_CODE;
    }
    res.doseQuantity = q;
  }
  if (performer.length) res.performer = performer;
  if (r.INDICATION_CODE) res.reasonCode = [{ coding: [{ system: SNOMED_SYSTEM, code: r.INDICATION_CODE }] }];
  const protocol: Json = {
    targetDisease: VaccineType.targetDiseasesOf(vaccineType).map(({ code, display }) => ({
      coding: [{ system: SNOMED_SYSTEM, code, display }],
    })),
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
