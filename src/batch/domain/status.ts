import type { BatchFileRow } from '../infrastructure/batch.store';

/** The status document of a file (contract §8). `receiving` shows as `queued`. */
export function statusDocument(f: BatchFileRow) {
  return {
    fileName: f.file_name,
    supplier: f.supplier,
    vaccineType: f.vaccine_type,
    status: f.status === 'receiving' ? 'queued' : f.status,
    rows: { total: f.total_rows ?? 0, succeeded: f.succeeded, failed: f.failed },
    receivedAt: new Date(f.received_at).toISOString(),
    completedAt: f.completed_at ? new Date(f.completed_at).toISOString() : null,
    reason: f.reason,
  };
}

/** The JSON summary that goes with the BusAck. */
export function summaryDocument(f: BatchFileRow) {
  const s = statusDocument(f);
  return {
    fileName: s.fileName,
    supplier: s.supplier,
    vaccineType: s.vaccineType,
    rows: s.rows.total,
    successes: s.rows.succeeded,
    failures: s.rows.failed,
    completedAt: s.completedAt,
  };
}
