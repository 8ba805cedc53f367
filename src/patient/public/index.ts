// The Patient module's public surface: what other modules may import.
export * from '../nhs-number';
export * from '../contained-patient';
