import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Patient module: the register of NHS numbers that are no longer current (superseded by a PDS
 * merge, or invalidated), and the inbox of NHS Multicast Notification Service events.
 */
export class Patient1763700600000 implements MigrationInterface {
  name = 'Patient1763700600000';

  async up(q: QueryRunner): Promise<void> {
    // superseded_by always names the *current* number (chains are compressed when a merge lands),
    // so "what is this number now?" is one primary-key lookup.
    await q.query(`CREATE TABLE patient_nhs_number_register (
      nhs_number text PRIMARY KEY,
      status text NOT NULL CHECK (status IN ('superseded', 'invalidated')),
      superseded_by text,
      recorded_by text NOT NULL,
      recorded_at timestamptz NOT NULL DEFAULT now(),
      CHECK ((status = 'superseded') = (superseded_by IS NOT NULL)),
      CHECK (superseded_by IS DISTINCT FROM nhs_number)
    )`);
    await q.query(
      `CREATE INDEX patient_nhs_number_register_successor ON patient_nhs_number_register (superseded_by) WHERE superseded_by IS NOT NULL`,
    );

    // A merge finds every record (live or deleted) of a number; without this it scans the table.
    await q.query(`CREATE INDEX immunization_nhs_number ON immunization (nhs_number) WHERE nhs_number IS NOT NULL`);

    // Accepted inbound events, stored before the 202 and worked off by the inbox worker.
    await q.query(`CREATE TABLE patient_mns_inbox (
      event_id text PRIMARY KEY,
      type text NOT NULL,
      subject text NOT NULL,
      event json NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now(),
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz NOT NULL DEFAULT now(),
      lease_until timestamptz,
      processed_at timestamptz,
      outcome text,
      last_error text
    )`);
    await q.query(`CREATE INDEX patient_mns_inbox_pending ON patient_mns_inbox (next_attempt_at) WHERE processed_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE patient_mns_inbox');
    await q.query('DROP INDEX immunization_nhs_number');
    await q.query('DROP TABLE patient_nhs_number_register');
  }
}
