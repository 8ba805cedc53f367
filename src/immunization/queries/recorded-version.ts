import { StoredJson } from '../../fhir/fhir-json';
import type { EventRow } from '../infrastructure/event-log.reader';
import type { ExportedChange } from '../public/export-changes.query';

/**
 * One recorded version of a record, as its history, version reads and the change feed list it.
 * The resource stays the stored JSON text: those answers send it as it is, never parsed.
 */
export type RecordedVersion = Pick<ExportedChange, 'id' | 'version' | 'operation' | 'vaccineType' | 'recordedAt'> & {
  resource: StoredJson;
};

/** An event-log row in the domain's words: query handlers hand no database rows to controllers. */
export const recordedVersion = (r: EventRow): RecordedVersion => ({
  id: r.immunization_id,
  version: r.version,
  operation: r.operation,
  vaccineType: r.vaccine_type,
  resource: new StoredJson(r.resource_json),
  recordedAt: new Date(r.recorded_at),
});
