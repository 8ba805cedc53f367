import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Notification module: subscriptions, the transactional outbox of change signals, and the log of
 * delivery attempts. See src/notification/infrastructure/ (relay, subscription and outbox stores) for how they are used.
 */
export class Notification1763700300000 implements MigrationInterface {
  name = 'Notification1763700300000';

  async up(q: QueryRunner): Promise<void> {
    // One row per change that can raise a signal (records with an NHS number), written by the
    // write transaction itself. txid is the writing transaction's id: the relay reads in
    // (txid, seq) order and only below the snapshot xmin, so a late commit can never be skipped.
    await q.query(`CREATE TABLE notification_outbox (
      seq bigserial PRIMARY KEY,
      txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
      immunization_id uuid NOT NULL,
      version integer NOT NULL,
      operation text NOT NULL CHECK (operation IN ('CREATE', 'UPDATE', 'DELETE')),
      supplier text NOT NULL,
      vaccine_type text NOT NULL,
      nhs_number text NOT NULL,
      source_organisation text,
      subject_age integer,
      recorded_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX notification_outbox_order ON notification_outbox (txid, seq)`);

    // A subscription and its delivery state: the position it has passed in the outbox
    // (cursor_txid, cursor_seq), how many events it has been sent (event_count = the last
    // event-number), its retry state and the lease of the relay instance working on it.
    await q.query(`CREATE TABLE subscription (
      id uuid PRIMARY KEY,
      supplier text NOT NULL,
      version integer NOT NULL CHECK (version >= 1),
      status text NOT NULL CHECK (status IN ('active', 'error', 'off')),
      resource json NOT NULL,
      criteria jsonb NOT NULL,
      channel_type text NOT NULL CHECK (channel_type IN ('rest-hook', 'message')),
      endpoint text NOT NULL,
      payload text NOT NULL,
      headers jsonb NOT NULL,
      error text,
      cursor_txid xid8 NOT NULL,
      cursor_seq bigint NOT NULL,
      event_count bigint NOT NULL DEFAULT 0,
      failed_attempts integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz,
      lease_owner uuid,
      lease_expires_at timestamptz,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX subscription_supplier ON subscription (supplier, created_at, id)`);
    await q.query(`CREATE INDEX subscription_claimable ON subscription (next_attempt_at) WHERE status = 'active'`);

    // Every delivery attempt, kept for operators (pruned after a retention period).
    await q.query(`CREATE TABLE notification_attempt (
      id bigserial PRIMARY KEY,
      subscription_id uuid NOT NULL,
      event_number bigint NOT NULL,
      outbox_seq bigint NOT NULL,
      immunization_id uuid NOT NULL,
      attempted_at timestamptz NOT NULL,
      duration_ms integer NOT NULL,
      outcome text NOT NULL CHECK (outcome IN ('delivered', 'failed')),
      status_code integer,
      error text,
      relay_instance uuid NOT NULL
    )`);
    await q.query(`CREATE INDEX notification_attempt_subscription ON notification_attempt (subscription_id, id)`);
    await q.query(`CREATE INDEX notification_attempt_time ON notification_attempt (attempted_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE notification_attempt');
    await q.query('DROP TABLE subscription');
    await q.query('DROP TABLE notification_outbox');
  }
}
