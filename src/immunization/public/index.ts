// The Immunization module's public surface: what other modules may import.
export * from './immunization-change';
export * from './immunization-changed.event';
export * from './change-projectors';
export * from './apply-immunization-row.command';
export * from './export-changes.query';
// Read-only helpers the batch module's flat-record mapping shares with validation.
export { VaccineType, vaccineTypeOf } from '../domain/vaccine-type';
export { selectedNameIndex } from '../validation/patient-name';
export { dateTimeSpan } from '../validation/fhir-date';
