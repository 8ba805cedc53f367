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

export const ODS_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code';
export const PROCEDURE_URL = 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-VaccinationProcedure';
export const SCT_DESC_DISPLAY_URL = 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-CodingSCTDescDisplay';
export const DEFAULT_POSTCODE = 'ZZ99 3CZ';
export const DEFAULT_LOCATION = 'X99999';

export const GENDER_TO_FHIR: Record<string, string> = { '1': 'male', '2': 'female', '9': 'other', '0': 'unknown' };
export const GENDER_TO_FLAT: Record<string, string> = { male: '1', female: '2', other: '9', unknown: '0' };

export type Json = Record<string, unknown>;
export const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '');

export function emptyFlat(): FlatRecord {
  return Object.fromEntries(FLAT_FIELDS.map((f) => [f, ''])) as FlatRecord;
}

// ---------------------------------------------------------------------------------------------
// flat → FHIR (ingestion). The conversion never refuses: a value it cannot turn into the FHIR
// form is passed on as it is, so that the API's own validation reports it with a FHIR expression.
