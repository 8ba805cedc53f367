// The Patient module's public surface: what other modules may import.
export * from './nhs-number-status.query';
export * from './patient-merged.event';
export * from '../contained-patient';
