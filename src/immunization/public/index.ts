// The Immunization module's public surface: what other modules may import.
export * from './immunization-change';
export * from './immunization-changed.event';
export * from './change-projectors';
// The shape the validator accepts, for the OpenAPI document.
export { buildImmunizationSchema } from '../validation/fhir-schema';
