import type { EventRow } from '../infrastructure/immunization.repository';
import type { ExportedChange } from '../public/export-changes.query';

/** One recorded version of a record, as its history and the change feed list it. */
export type RecordedVersion = Pick<ExportedChange, 'id' | 'version' | 'operation' | 'vaccineType' | 'resource' | 'recordedAt'>;

/** An event-log row in the domain's words: query handlers hand no database rows to controllers. */
export const recordedVersion = (r: EventRow): RecordedVersion => ({
  id: r.immunization_id,
  version: r.version,
  operation: r.operation,
  vaccineType: r.vaccine_type,
  resource: r.resource,
  recordedAt: new Date(r.recorded_at),
});
