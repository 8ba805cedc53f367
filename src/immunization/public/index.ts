// The Immunization module's public surface: what other modules may import.
export * from './immunization-change';
export * from './immunization-changed.event';
export * from './change-projectors';
export * from './move-patient-records.command';
// The shape the validator accepts, for the OpenAPI document.
export { buildImmunizationSchema } from '../validation/fhir-schema';
// Value objects other modules reason with (search parameters, subscription criteria).
export { VaccineType } from '../domain/vaccine-type';
export { SnomedConceptId, SNOMED_SYSTEM } from '../domain/snomed-concept-id';
