import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit trail: one row per interaction (read, search, write, token...). Append-only for every
 * role, like immunization_event: a trigger refuses UPDATE, DELETE and TRUNCATE. It never holds a
 * body, a query string or an NHS number: only who, what, which resource, the outcome and the ids.
 */
export class Audit1763700500000 implements MigrationInterface {
  name = 'Audit1763700500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE audit_event (
      id bigserial PRIMARY KEY,
      at timestamptz NOT NULL,
      supplier text,
      client_id text,
      interaction text NOT NULL,
      resource_type text,
      resource_id text,
      version integer,
      status smallint NOT NULL,
      request_id text,
      correlation_id text
    )`);
    await q.query(`CREATE INDEX audit_event_at ON audit_event (at)`);
    await q.query(`CREATE INDEX audit_event_supplier_at ON audit_event (supplier, at)`);
    await q.query(`CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'audit_event is append-only'; END $$`);
    await q.query(`CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_event
      FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE audit_event');
    await q.query('DROP FUNCTION audit_event_append_only');
  }
}
