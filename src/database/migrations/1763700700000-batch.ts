import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Batch module: received files (their state is the job queue), the files' bytes in chunks, and the
 * rows that failed (the BusAck). See src/batch/infrastructure/batch.store.ts for how they are used.
 */
export class Batch1763700700000 implements MigrationInterface {
  name = 'Batch1763700700000';

  async up(q: QueryRunner): Promise<void> {
    // Arrival order of complete files: a file gets its number when its last byte is stored.
    await q.query(`CREATE SEQUENCE batch_file_queue_seq`);
    // One row per received file. status: receiving (upload in progress) → queued → processing →
    // processed, or rejected at the file checks. Progress is kept per lane (batch_lane) and moves in
    // the same transaction as the rows' changes, so a restart resumes at the first row not yet done;
    // next_row is the highest row done (for display). lease_owner/lease_expires_at: the instance working on it.
    await q.query(`CREATE TABLE batch_file (
      id uuid PRIMARY KEY,
      file_name text NOT NULL,
      supplier text NOT NULL,
      vaccine_type text NOT NULL,
      ods_code text NOT NULL,
      source text NOT NULL CHECK (source IN ('upload', 'inbox')),
      status text NOT NULL CHECK (status IN ('receiving', 'queued', 'processing', 'processed', 'rejected')),
      reason text,
      encoding text NOT NULL DEFAULT 'utf-8',
      size_bytes bigint NOT NULL DEFAULT 0,
      chunk_count integer NOT NULL DEFAULT 0,
      total_rows integer,
      lanes integer NOT NULL DEFAULT 1 CHECK (lanes >= 1),
      next_row integer NOT NULL DEFAULT 0,
      succeeded integer NOT NULL DEFAULT 0,
      failed integer NOT NULL DEFAULT 0,
      queue_seq bigint,
      inf_ack text,
      lease_owner uuid,
      lease_expires_at timestamptz,
      received_at timestamptz NOT NULL,
      started_at timestamptz,
      completed_at timestamptz
    )`);
    // A name is received once (case-insensitively, as the name checks).
    await q.query(`CREATE UNIQUE INDEX batch_file_name ON batch_file (lower(file_name))`);
    await q.query(`CREATE INDEX batch_file_queue ON batch_file (queue_seq) WHERE status IN ('queued', 'processing')`);
    await q.query(
      `CREATE INDEX batch_file_group ON batch_file (supplier, vaccine_type, queue_seq) WHERE status IN ('queued', 'processing')`,
    );

    // A file's rows are split into lanes by identifier (a record's rows always share a lane and keep
    // their file order); lanes commit independently. done_row: the last row of the lane applied or
    // failed, moved in the same transaction as that chunk's changes.
    await q.query(`CREATE TABLE batch_lane (
      file_id uuid NOT NULL REFERENCES batch_file (id) ON DELETE CASCADE,
      lane integer NOT NULL,
      done_row integer NOT NULL,
      PRIMARY KEY (file_id, lane)
    )`);

    await q.query(`CREATE TABLE batch_chunk (
      file_id uuid NOT NULL REFERENCES batch_file (id) ON DELETE CASCADE,
      n integer NOT NULL,
      data bytea NOT NULL,
      PRIMARY KEY (file_id, n)
    )`);

    await q.query(`CREATE TABLE batch_row_failure (
      file_id uuid NOT NULL REFERENCES batch_file (id) ON DELETE CASCADE,
      row_number integer NOT NULL,
      local_id text NOT NULL,
      imms_id text,
      operation text,
      diagnostics text NOT NULL,
      PRIMARY KEY (file_id, row_number)
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE batch_row_failure');
    await q.query('DROP TABLE batch_chunk');
    await q.query('DROP TABLE batch_lane');
    await q.query('DROP TABLE batch_file');
    await q.query('DROP SEQUENCE batch_file_queue_seq');
  }
}
