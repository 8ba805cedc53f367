// Over 250 lines on purpose: every SQL statement of the Batch module's own tables (receiving, queue and leases, lane progress, reports) in one place, so the lease fencing is read as a whole.
import { Injectable } from '@nestjs/common';
import type { SqlExecutor, Tx } from '../../database/database';

export type BatchStatus = 'receiving' | 'queued' | 'processing' | 'processed' | 'rejected';

export interface BatchFileRow {
  id: string;
  file_name: string;
  supplier: string;
  vaccine_type: string;
  ods_code: string;
  source: 'upload' | 'inbox';
  status: BatchStatus;
  reason: string | null;
  encoding: string;
  chunk_count: number;
  lanes: number;
  total_rows: number | null;
  next_row: number;
  succeeded: number;
  failed: number;
  inf_ack: string | null;
  received_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
}

export interface FailureRow {
  row_number: number;
  local_id: string;
  imms_id: string | null;
  operation: string | null;
  diagnostics: string;
}

const COLUMNS = `id, file_name, supplier, vaccine_type, ods_code, source, status, reason, encoding, chunk_count, lanes, total_rows,
  next_row, succeeded, failed, inf_ack, received_at, started_at, completed_at`;

/** Raised inside a chunk's transaction when this instance no longer holds the file's lease. */
export class LeaseLost extends Error {
  constructor() {
    super('batch file lease lost');
  }
}

/** All SQL of the Batch module (its own tables only). */
@Injectable()
export class BatchStore {
  /** Claims the name (unique, case-insensitive); false when it was already received. */
  async createReceiving(
    db: SqlExecutor,
    f: { id: string; fileName: string; supplier: string; vaccineType: string; odsCode: string; source: 'upload' | 'inbox'; at: Date },
  ): Promise<boolean> {
    const { rows } = await db.query(
      `INSERT INTO batch_file (id, file_name, supplier, vaccine_type, ods_code, source, status, received_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'receiving', $7)
       ON CONFLICT ((lower(file_name))) DO NOTHING RETURNING id`,
      [f.id, f.fileName, f.supplier, f.vaccineType, f.odsCode, f.source, f.at],
    );
    return rows.length === 1;
  }

  async addChunk(db: SqlExecutor, fileId: string, n: number, data: Buffer): Promise<void> {
    await db.query(`INSERT INTO batch_chunk (file_id, n, data) VALUES ($1, $2, $3)`, [fileId, n, data]);
  }

  async chunk(db: SqlExecutor, fileId: string, n: number): Promise<Buffer | null> {
    const { rows } = await db.query<{ data: Buffer | Uint8Array }>(`SELECT data FROM batch_chunk WHERE file_id = $1 AND n = $2`, [
      fileId,
      n,
    ]);
    if (!rows.length) return null;
    const d = rows[0].data;
    return Buffer.isBuffer(d) ? d : Buffer.from(d);
  }

  /** The upload is complete: queue the file (arrival order = now) or record its refusal. */
  async finishReceiving(
    db: SqlExecutor,
    f: {
      id: string;
      status: 'queued' | 'rejected';
      reason: string | null;
      encoding: string;
      sizeBytes: number;
      chunks: number;
      totalRows: number;
      infAck: string;
      lanes: number;
    },
  ): Promise<void> {
    if (f.status === 'queued') {
      await db.query(`INSERT INTO batch_lane (file_id, lane, done_row) SELECT $1::uuid, g, 0 FROM generate_series(0, $2::int - 1) g`, [
        f.id,
        f.lanes,
      ]);
    }
    await db.query(
      `UPDATE batch_file SET status = $2, reason = $3, encoding = $4, size_bytes = $5, chunk_count = $6, total_rows = $7, inf_ack = $8, lanes = $9,
         queue_seq = CASE WHEN $2 = 'queued' THEN nextval('batch_file_queue_seq') END,
         completed_at = CASE WHEN $2 = 'rejected' THEN now() END
       WHERE id = $1`,
      [f.id, f.status, f.reason, f.encoding, f.sizeBytes, f.chunks, f.totalRows, f.infAck, f.lanes],
    );
    if (f.status === 'rejected') await db.query(`DELETE FROM batch_chunk WHERE file_id = $1`, [f.id]);
  }

  /** An upload that did not complete (client went away): forget it, so the name can be sent again. */
  async dropReceiving(db: SqlExecutor, id: string): Promise<void> {
    await db.query(`DELETE FROM batch_file WHERE id = $1 AND status = 'receiving'`, [id]);
  }

  /** Uploads left half-done by an instance that died long ago. */
  async dropStaleReceiving(db: SqlExecutor, olderThanMinutes: number): Promise<void> {
    await db.query(`DELETE FROM batch_file WHERE status = 'receiving' AND received_at < now() - make_interval(mins => $1::int)`, [
      olderThanMinutes,
    ]);
  }

  /** The half-stored upload of `fileName` left by a drop-folder claim that died at least `olderThanMs` ago. */
  async dropAbandonedReceiving(db: SqlExecutor, fileName: string, olderThanMs: number): Promise<void> {
    await db.query(
      `DELETE FROM batch_file WHERE lower(file_name) = lower($1) AND status = 'receiving' AND received_at < now() - make_interval(secs => $2::float8 / 1000)`,
      [fileName, olderThanMs],
    );
  }

  async byName(db: SqlExecutor, fileName: string): Promise<BatchFileRow | null> {
    const { rows } = await db.query<BatchFileRow>(`SELECT ${COLUMNS} FROM batch_file WHERE lower(file_name) = lower($1)`, [fileName]);
    return rows[0] ?? null;
  }

  async byId(db: SqlExecutor, id: string): Promise<BatchFileRow | null> {
    const { rows } = await db.query<BatchFileRow>(`SELECT ${COLUMNS} FROM batch_file WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  /**
   * Claims the next file to work on: the oldest queued (or abandoned: lease expired) file whose
   * supplier + vaccine type has no earlier file still queued or processing. FOR UPDATE SKIP LOCKED
   * lets instances claim side by side; the lease keeps the file theirs until it expires.
   */
  async claim(db: SqlExecutor, owner: string, leaseMs: number): Promise<BatchFileRow | null> {
    const { rows } = await db.query<BatchFileRow>(
      `UPDATE batch_file SET status = 'processing', lease_owner = $1, lease_expires_at = now() + make_interval(secs => $2::double precision / 1000),
         started_at = COALESCE(started_at, now())
       WHERE id = (
         SELECT f.id FROM batch_file f
          WHERE f.status IN ('queued', 'processing')
            AND (f.lease_expires_at IS NULL OR f.lease_expires_at < now())
            AND NOT EXISTS (
              SELECT 1 FROM batch_file p
               WHERE p.supplier = f.supplier AND p.vaccine_type = f.vaccine_type
                 AND p.status IN ('queued', 'processing') AND p.queue_seq < f.queue_seq)
          ORDER BY f.queue_seq
          LIMIT 1
          FOR UPDATE SKIP LOCKED)
       RETURNING ${COLUMNS}`,
      [owner, leaseMs],
    );
    return rows[0] ?? null;
  }

  /** The last row done in each lane (index = lane). */
  async laneProgress(db: SqlExecutor, fileId: string): Promise<number[]> {
    const { rows } = await db.query<{ lane: number; done_row: number }>(
      `SELECT lane, done_row FROM batch_lane WHERE file_id = $1 ORDER BY lane`,
      [fileId],
    );
    return rows.map((r) => r.done_row);
  }

  /**
   * Records a chunk's progress in the chunk's transaction, fenced on the lease and on the lane
   * position the chunk started from: a holder that lost the file can never record, so its rows roll back.
   */
  async recordProgress(
    tx: Tx,
    p: { id: string; owner: string; lane: number; from: number; to: number; succeeded: number; failed: number; leaseMs: number },
    failures: FailureRow[],
  ) {
    if (failures.length) {
      await tx.query(
        `INSERT INTO batch_row_failure (file_id, row_number, local_id, imms_id, operation, diagnostics)
         SELECT $1::uuid, * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[])`,
        [
          p.id,
          failures.map((f) => f.row_number),
          failures.map((f) => f.local_id),
          failures.map((f) => f.imms_id),
          failures.map((f) => f.operation),
          failures.map((f) => f.diagnostics),
        ],
      );
    }
    const lane = await tx.query(`UPDATE batch_lane SET done_row = $4 WHERE file_id = $1 AND lane = $2 AND done_row = $3 RETURNING lane`, [
      p.id,
      p.lane,
      p.from,
      p.to,
    ]);
    if (lane.rows.length !== 1) throw new LeaseLost();
    // Last: the file row is shared by the lanes, so its lock is held only until the commit that follows.
    const { rows } = await tx.query(
      `UPDATE batch_file SET next_row = GREATEST(next_row, $3), succeeded = succeeded + $4, failed = failed + $5,
         lease_expires_at = now() + make_interval(secs => $6::double precision / 1000)
       WHERE id = $1 AND lease_owner = $2 AND status = 'processing' RETURNING id`,
      [p.id, p.owner, p.to, p.succeeded, p.failed, p.leaseMs],
    );
    if (rows.length !== 1) throw new LeaseLost();
  }

  async complete(db: SqlExecutor, id: string, owner: string): Promise<boolean> {
    const { rows } = await db.query(
      `UPDATE batch_file SET status = 'processed', completed_at = now(), lease_owner = NULL, lease_expires_at = NULL
       WHERE id = $1 AND lease_owner = $2 AND status = 'processing' RETURNING id`,
      [id, owner],
    );
    if (rows.length === 1) await db.query(`DELETE FROM batch_chunk WHERE file_id = $1`, [id]);
    return rows.length === 1;
  }

  async renew(db: SqlExecutor, id: string, owner: string, leaseMs: number): Promise<boolean> {
    const { rows } = await db.query(
      `UPDATE batch_file SET lease_expires_at = now() + make_interval(secs => $3::double precision / 1000)
       WHERE id = $1 AND lease_owner = $2 AND status = 'processing' RETURNING id`,
      [id, owner, leaseMs],
    );
    return rows.length === 1;
  }

  async release(db: SqlExecutor, owner: string): Promise<void> {
    await db.query(`UPDATE batch_file SET lease_expires_at = NULL, lease_owner = NULL WHERE lease_owner = $1 AND status = 'processing'`, [
      owner,
    ]);
  }

  /** Failed rows in row order, a page at a time (the BusAck is streamed). */
  async failures(db: SqlExecutor, fileId: string, afterRow: number, limit: number): Promise<FailureRow[]> {
    const { rows } = await db.query<FailureRow>(
      `SELECT row_number, local_id, imms_id, operation, diagnostics FROM batch_row_failure
        WHERE file_id = $1 AND row_number > $2 ORDER BY row_number LIMIT $3`,
      [fileId, afterRow, limit],
    );
    return rows;
  }

  async counts(db: SqlExecutor): Promise<{ byStatus: Record<string, number>; queued: number; oldestQueuedSeconds: number }> {
    const { rows } = await db.query<{ status: string; n: string; oldest: number | null }>(
      `SELECT status, count(*)::text AS n,
              EXTRACT(EPOCH FROM (now() - min(received_at)))::float8 AS oldest
         FROM batch_file GROUP BY status`,
    );
    const byStatus: Record<string, number> = {};
    let oldest = 0;
    for (const r of rows) {
      byStatus[r.status] = Number(r.n);
      if (r.status === 'queued' && r.oldest !== null) oldest = Number(r.oldest);
    }
    return { byStatus, queued: byStatus.queued ?? 0, oldestQueuedSeconds: oldest };
  }
}
