import type { Immunization } from '@medplum/fhirtypes';
import { dateTimeSpan, selectedNameIndex } from '../../immunization/public';
import { NHS_NUMBER_SYSTEM, SNOMED_SYSTEM } from '../../kernel/terminology';
import {
  arr,
  DEFAULT_LOCATION,
  DEFAULT_POSTCODE,
  emptyFlat,
  FlatRecord,
  GENDER_TO_FLAT,
  isObj,
  Json,
  ODS_SYSTEM,
  PROCEDURE_URL,
  SCT_DESC_DISPLAY_URL,
  str,
} from './flat-record';

/** A term: CodeableConcept.text, then the SCTDescDisplay extension, then the SNOMED coding's display. */
function snomedOf(concept: unknown): { code: string; term: string } {
  if (!isObj(concept)) return { code: '', term: '' };
  const coding = arr(concept.coding).find((c) => isObj(c) && c.system === SNOMED_SYSTEM) as Json | undefined;
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
    r.DOSE_UNIT_CODE = q.system === SNOMED_SYSTEM ? str(q.code) : '';
    r.DOSE_UNIT_TERM = str(q.unit);
  }
  const reason = arr(res.reasonCode)[0];
  r.INDICATION_CODE = snomedOf(reason).code;
  const loc = isObj(res.location) && isObj(res.location.identifier) ? res.location.identifier : null;
  r.LOCATION_CODE = str(loc?.value) || DEFAULT_LOCATION;
  r.LOCATION_CODE_TYPE_URI = str(loc?.system) || ODS_SYSTEM;
  return { record: r, errors };
}
