import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Write side of the Immunization module: the current state of each record and the append-only
 * event log ("delta") with one row per create, update, reinstate and delete.
 */
export class Immunization1763700100000 implements MigrationInterface {
  name = 'Immunization1763700100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE immunization (
      id uuid PRIMARY KEY,
      version integer NOT NULL CHECK (version >= 1),
      identifier_system text NOT NULL,
      identifier_value text NOT NULL,
      nhs_number text,
      vaccine_type text NOT NULL,
      occurrence text NOT NULL,
      supplier text NOT NULL,
      resource json NOT NULL,
      deleted_at timestamptz,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`);
    // Race-proof duplicate detection: one live record per identifier (docs/api.md §2).
    await q.query(`CREATE UNIQUE INDEX immunization_identifier_live
      ON immunization (identifier_system, identifier_value) WHERE deleted_at IS NULL`);
    // Finding a deleted record by identifier (create reinstates it).
    await q.query(`CREATE INDEX immunization_identifier ON immunization (identifier_system, identifier_value)`);

    await q.query(`CREATE TABLE immunization_event (
      seq bigserial PRIMARY KEY,
      txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
      immunization_id uuid NOT NULL REFERENCES immunization (id),
      version integer NOT NULL,
      operation text NOT NULL CHECK (operation IN ('CREATE', 'UPDATE', 'DELETE')),
      supplier text NOT NULL,
      vaccine_type text NOT NULL,
      request_id text,
      resource json NOT NULL,
      recorded_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX immunization_event_record ON immunization_event (immunization_id, seq)`);
    // The change feed reads in (txid, seq) order: see immunization-event.repository.ts for why.
    await q.query(`CREATE INDEX immunization_event_feed ON immunization_event (txid, seq)`);
    // Idempotent create retries: supplier + X-Request-ID within 24 h.
    await q.query(`CREATE INDEX immunization_event_request ON immunization_event (supplier, request_id) WHERE request_id IS NOT NULL`);
    // Append-only, enforced by the database for every role: history is never rewritten.
    await q.query(`CREATE FUNCTION immunization_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'immunization_event is append-only'; END $$`);
    await q.query(`CREATE TRIGGER immunization_event_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON immunization_event
      FOR EACH STATEMENT EXECUTE FUNCTION immunization_event_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE immunization_event');
    await q.query('DROP FUNCTION immunization_event_append_only');
    await q.query('DROP TABLE immunization');
  }
}
