// The Immunization module's public surface: what other modules may import.
export * from './immunization-change';
export * from './immunization-changed.event';
export * from './change-projectors';
export * from './move-patient-records.command';
export * from './apply-immunization-row.command';
export * from './export-changes.query';
// The shape the validator accepts, for the OpenAPI document.
export { buildImmunizationSchema } from '../validation/fhir-schema';
// Read-only helpers the batch module's flat-record mapping shares with validation.
export { selectedNameIndex } from '../validation/patient-name';
export { dateTimeSpan } from '../validation/fhir-date';
