// The shared kernel's terminology: value objects every module reasons with (validation, search
// parameters, subscription criteria, flat records, patient merges). It imports no feature module.
export { VaccineType, vaccineTypeOf } from './vaccine-type';
export { SnomedConceptId, SNOMED_SYSTEM } from './snomed-concept-id';
export * from './nhs-number';
