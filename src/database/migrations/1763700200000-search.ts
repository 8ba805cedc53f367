import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One-time fill of the projection from the write side's live rows, for databases that already hold
 * records when this migration first runs. Same derivations as the projector (search-projector.ts):
 * a date-only occurrence counts as midnight UTC; occurrence_date is the calendar date as written.
 * Exported so a test can prove it produces exactly the rows the projector writes.
 */
export const SEARCH_PROJECTION_BACKFILL = `INSERT INTO search_immunization
    (id, nhs_number, vaccine_type, occurrence, occurrence_date, identifier_system, identifier_value, version, resource)
  SELECT id, nhs_number, vaccine_type,
         CASE WHEN length(occurrence) = 10 THEN (occurrence || 'T00:00:00+00:00')::timestamptz ELSE occurrence::timestamptz END,
         left(occurrence, 10)::date,
         identifier_system, identifier_value, version, resource
    FROM immunization
   WHERE deleted_at IS NULL`;

/**
 * The Search module's read model: one narrow row per live Immunization, kept by the search
 * projector inside each write transaction. `resource` is `json` (not `jsonb`) so the stored
 * representation comes back with its key order intact.
 */
export class Search1763700200000 implements MigrationInterface {
  name = 'Search1763700200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE search_immunization (
      id uuid PRIMARY KEY,
      nhs_number text,
      vaccine_type text NOT NULL,
      occurrence timestamptz NOT NULL,
      occurrence_date date NOT NULL,
      identifier_system text NOT NULL,
      identifier_value text NOT NULL,
      version integer NOT NULL,
      resource json NOT NULL
    )`);
    // Patient search: equality on NHS number and type, then the result order (newest first, then id).
    // Partial: records without an NHS number are never found by patient search.
    await q.query(`CREATE INDEX search_immunization_patient
      ON search_immunization (nhs_number, vaccine_type, occurrence DESC, id) WHERE nhs_number IS NOT NULL`);
    // Identifier search (the supplier's own identifier); uniqueness is the write side's job.
    await q.query(`CREATE INDEX search_immunization_identifier ON search_immunization (identifier_system, identifier_value)`);
    await q.query(SEARCH_PROJECTION_BACKFILL);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE search_immunization');
  }
}
