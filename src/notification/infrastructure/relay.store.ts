import { Injectable } from '@nestjs/common';
import type { SqlExecutor } from '../../database/database';
import type { SubscriptionStatus } from '../domain/subscription-resource';
import {
  Attempt,
  Cursor,
  FailureRecord,
  OutboxRow,
  ProgressRecord,
  SETTLED,
  subscriptionColumns,
  SubscriptionRow,
} from './notification-rows';

/**
 * The outbox columns as the relay reads them, from `notification_outbox n`. The text casts get
 * aliases of their own on purpose: ORDER BY resolves a bare name to an output column first, so
 * aliasing txid::text AS txid would silently sort by text ('10' < '9') and break the order.
 */
const OUTBOX_COLUMNS = `n.seq::text AS seq_text, n.txid::text AS txid_text, n.immunization_id, n.version, n.operation, n.supplier,
  n.vaccine_type, n.nhs_number, n.source_organisation, n.subject_age, n.recorded_at`;

/** Attempts as one JSON parameter, for an INSERT … SELECT FROM json_to_recordset inside a CTE. */
function attemptsJson(attempts: Attempt[]): string {
  return JSON.stringify(
    attempts.map((a) => ({
      n: a.eventNumber,
      seq: a.outboxSeq,
      imm: a.immunizationId,
      at: a.at.toISOString(),
      ms: a.durationMs,
      outcome: a.outcome,
      code: a.statusCode,
      err: a.error?.slice(0, 1000) ?? null,
    })),
  );
}

/** Logs the attempts in JSON parameter $p for subscription $1, made by relay $2. */
const INSERT_ATTEMPTS = (p: number) => `INSERT INTO notification_attempt
    (subscription_id, event_number, outbox_seq, immunization_id, attempted_at, duration_ms, outcome, status_code, error, relay_instance)
  SELECT $1::uuid, a.n, a.seq, a.imm, a.at, a.ms, a.outcome, a.code, a.err, $2::uuid
    FROM json_to_recordset($${p}::json) AS a(n bigint, seq bigint, imm uuid, at timestamptz, ms int, outcome text, code int, err text)`;

/**
 * The relay's SQL: claims and leases, the outbox read after a cursor, and the fenced records of
 * progress and failure (see notification-rows.ts for why the (txid, seq) cursor is safe).
 */
@Injectable()
export class RelayStore {
  /**
   * Claims up to `limit` active subscriptions that have settled outbox rows past their cursor, are
   * not leased by a live relay and are not waiting out a retry delay, the furthest behind first:
   * one statement, rows locked FOR UPDATE SKIP LOCKED so concurrent relays (in one process or
   * several) never claim the same subscription, then leased to `owner` for `leaseMs`. The lease (not a lock held across the HTTP call) is what keeps a single
   * delivery in flight per subscription; it is renewed while the relay works and expires if the
   * process dies, so another instance takes over.
   */
  async claim(db: SqlExecutor, owner: string, leaseMs: number, limit: number, busy: string[]): Promise<SubscriptionRow[]> {
    const { rows } = await db.query<SubscriptionRow>(
      `UPDATE subscription s SET lease_owner = $1, lease_expires_at = clock_timestamp() + make_interval(secs => $2::int / 1000.0)
        WHERE s.id IN (
          SELECT c.id FROM subscription c
           WHERE c.status = 'active'
             AND (c.lease_owner IS NULL OR c.lease_expires_at < clock_timestamp())
             AND (c.next_attempt_at IS NULL OR c.next_attempt_at <= clock_timestamp())
             AND NOT (c.id = ANY($4::uuid[]))
             AND EXISTS (SELECT 1 FROM notification_outbox o
                          WHERE (o.txid, o.seq) > (c.cursor_txid, c.cursor_seq) AND o.${SETTLED})
           ORDER BY c.cursor_txid, c.cursor_seq
           LIMIT $3
           FOR UPDATE SKIP LOCKED)
        RETURNING ${subscriptionColumns('s')}`,
      [owner, leaseMs, limit, busy],
    );
    return rows;
  }

  /** Extends the leases `owner` still holds among `ids`; returns those it still holds. */
  async renew(db: SqlExecutor, owner: string, leaseMs: number, ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const { rows } = await db.query<{ id: string }>(
      `UPDATE subscription SET lease_expires_at = clock_timestamp() + make_interval(secs => $2::int / 1000.0)
        WHERE lease_owner = $1 AND id = ANY($3::uuid[]) RETURNING id`,
      [owner, leaseMs, ids],
    );
    return new Set(rows.map((r) => r.id));
  }

  /**
   * Settled outbox rows after a cursor, in delivery order, together with the subscription's current
   * version and status, in one statement. `subscription` is null when `owner` no longer holds the
   * lease (or the subscription is gone): the caller must stop.
   */
  async pending(
    db: SqlExecutor,
    p: { id: string; owner: string; after: Cursor; limit: number },
  ): Promise<{ subscription: { version: number; status: SubscriptionStatus } | null; rows: OutboxRow[] }> {
    type Raw = Omit<OutboxRow, 'seq' | 'txid'> & {
      sub_version: number;
      sub_status: SubscriptionStatus;
      seq_text: string | null;
      txid_text: string;
      txid_order: unknown;
      seq_order: unknown;
    };
    const { rows } = await db.query<Raw>(
      `SELECT s.version AS sub_version, s.status AS sub_status, o.*
         FROM subscription s
         LEFT JOIN LATERAL (
           SELECT n.txid AS txid_order, n.seq AS seq_order, ${OUTBOX_COLUMNS} FROM notification_outbox n
            WHERE (n.txid, n.seq) > ($3::xid8, $4::bigint) AND n.${SETTLED}
            ORDER BY n.txid, n.seq LIMIT $5) o ON true
        WHERE s.id = $1 AND s.lease_owner = $2
        ORDER BY o.txid_order, o.seq_order`,
      [p.id, p.owner, p.after.txid, p.after.seq, p.limit],
    );
    if (rows.length === 0) return { subscription: null, rows: [] };
    return {
      subscription: { version: rows[0].sub_version, status: rows[0].sub_status },
      rows: rows
        .filter((r) => r.seq_text !== null)
        .map(({ seq_text, txid_text, txid_order: _t, seq_order: _q, sub_version: _v, sub_status: _s, ...r }) => ({
          ...r,
          seq: seq_text!,
          txid: txid_text,
        })),
    };
  }

  /**
   * Records progress while holding the lease: the cursor moves to `to`, event_count to `count`
   * (unchanged when only skipped rows were passed), the retry state is cleared and, with `release`,
   * the lease is given up. Fenced on the lease and on the event count last recorded, so a relay
   * that lost its lease can never move the cursor or reuse an event-number. The attempts made
   * since the last record are logged in the same statement. Returns the subscription's version and
   * status, or null when the fence failed.
   */
  async advance(
    db: SqlExecutor,
    p: { id: string; owner: string } & ProgressRecord,
  ): Promise<{ version: number; status: SubscriptionStatus } | null> {
    const { rows } = await db.query<{ version: number; status: SubscriptionStatus }>(
      `WITH adv AS (
         UPDATE subscription SET cursor_txid = $3::xid8, cursor_seq = $4::bigint, event_count = $5::bigint,
                failed_attempts = 0,
                next_attempt_at = NULL,
                lease_owner = CASE WHEN $6::boolean THEN NULL ELSE lease_owner END,
                lease_expires_at = CASE WHEN $6::boolean THEN NULL ELSE lease_expires_at END
          WHERE id = $1 AND lease_owner = $2 AND event_count = $7::bigint
          RETURNING version, status),
       att AS (${INSERT_ATTEMPTS(8)})
       SELECT version, status FROM adv`,
      [p.id, p.owner, p.to.txid, p.to.seq, p.count, p.release, p.fromCount, attemptsJson(p.attempts)],
    );
    return rows[0] ?? null;
  }

  /**
   * Records a failed attempt and gives up the lease: the next try waits `delayMs`; the failure that
   * reaches `maxAttempts` puts an active subscription in error with `errorText`. The cursor moves
   * only over rows skipped before the failing one (`to`). Returns the new status, or null when fenced.
   */
  async fail(
    db: SqlExecutor,
    p: { id: string; owner: string } & FailureRecord,
  ): Promise<{ status: SubscriptionStatus; failed_attempts: number } | null> {
    const { rows } = await db.query<{ status: SubscriptionStatus; failed_attempts: number }>(
      `WITH f AS (
         UPDATE subscription SET
                failed_attempts = failed_attempts + 1,
                next_attempt_at = clock_timestamp() + make_interval(secs => $5::int / 1000.0),
                status = CASE WHEN status = 'active' AND failed_attempts + 1 >= $6 THEN 'error' ELSE status END,
                error = CASE WHEN status = 'active' AND failed_attempts + 1 >= $6 THEN $7 ELSE error END,
                version = CASE WHEN status = 'active' AND failed_attempts + 1 >= $6 THEN version + 1 ELSE version END,
                updated_at = CASE WHEN status = 'active' AND failed_attempts + 1 >= $6 THEN clock_timestamp() ELSE updated_at END,
                cursor_txid = $3::xid8, cursor_seq = $4::bigint,
                lease_owner = NULL, lease_expires_at = NULL
          WHERE id = $1 AND lease_owner = $2 AND event_count = $8::bigint
          RETURNING status, failed_attempts),
       att AS (${INSERT_ATTEMPTS(9)})
       SELECT status, failed_attempts FROM f`,
      [p.id, p.owner, p.to.txid, p.to.seq, p.delayMs, p.maxAttempts, p.errorText, p.fromCount, attemptsJson([p.attempt])],
    );
    return rows[0] ?? null;
  }

  /** Gives up leases without recording anything (shutdown, or a subscription that changed under the relay). */
  async release(db: SqlExecutor, owner: string, ids: string[] | null): Promise<void> {
    await db.query(
      `UPDATE subscription SET lease_owner = NULL, lease_expires_at = NULL
        WHERE lease_owner = $1 AND ($2::uuid[] IS NULL OR id = ANY($2::uuid[]))`,
      [owner, ids],
    );
  }
}
