import type { Immunization } from '@medplum/fhirtypes';

/** What every Immunization write answers with (the controller turns it into status and headers). */
export interface WriteResult {
  id: string;
  version: number;
  lastUpdated: Date;
  resource: Immunization;
  /** True when an idempotent retry was answered from the first request's outcome. */
  replayed: boolean;
}
