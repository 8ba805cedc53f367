// The Immunization module's public surface: what other modules may import.
export * from './immunization-change';
export * from './immunization-changed.event';
export * from './change-projectors';
export * from './move-patient-records.command';
