import { Injectable } from '@nestjs/common';
import type { SqlExecutor, Tx } from '../../database/database';
import type { ChangeOperation } from '../../immunization/public';
import type { SignalFilter } from '../domain/criteria';
import type { ChannelType, Payload, SubscriptionRequest, SubscriptionStatus } from '../domain/subscription-resource';

/*
 * All SQL of the Notification module.
 *
 * Ordering. Outbox sequence numbers are handed out before commit, so "everything after seq N" is
 * not a safe cursor: a transaction holding seq 7 can commit after seq 8 was read, and a reader at 8
 * would never see 7. Instead each row carries the id of the transaction that wrote it (txid) and
 * the relay reads in (txid, seq) order, only rows with txid < xmin of its snapshot (the oldest
 * transaction still running). Every such row's transaction has finished, and any row written from
 * now on belongs to a transaction that is still running or has not started, so its txid >= xmin.
 * Hence once the relay has read up to (txid, seq), no row can ever appear below that position:
 * a cursor that only moves over such rows never skips one. (On PGlite there is a single session and
 * transactions take turns, so no write is ever in flight while the relay reads.) Two writes to the
 * same record are ordered the same way they committed: the second one's guarded UPDATE can only
 * succeed in a transaction that began after the first committed, so it has the larger txid.
 */

export interface OutboxRow {
  seq: string;
  txid: string;
  immunization_id: string;
  version: number;
  operation: ChangeOperation;
  supplier: string;
  vaccine_type: string;
  nhs_number: string;
  source_organisation: string | null;
  subject_age: number | null;
  recorded_at: Date;
}

export interface SubscriptionRow {
  id: string;
  supplier: string;
  version: number;
  status: SubscriptionStatus;
  resource: Record<string, unknown>;
  criteria: SignalFilter;
  channel_type: ChannelType;
  endpoint: string;
  payload: Payload;
  headers: [string, string][];
  error: string | null;
  cursor_txid: string;
  cursor_seq: string;
  event_count: string;
  failed_attempts: number;
  next_attempt_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** What a create or update stores: exactly what the request checker accepted. */
export type SubscriptionWrite = SubscriptionRequest;

export interface Attempt {
  subscriptionId: string;
  eventNumber: string;
  outboxSeq: string;
  immunizationId: string;
  at: Date;
  durationMs: number;
  outcome: 'delivered' | 'failed';
  statusCode: number | null;
  error: string | null;
  relayInstance: string;
}

export interface Cursor {
  txid: string;
  seq: string;
}

/** The columns of a subscription row, optionally qualified by a table alias. */
const subscriptionColumns = (t = '') => {
  const q = t ? `${t}.` : '';
  return `${q}id, ${q}supplier, ${q}version, ${q}status, ${q}resource, ${q}criteria, ${q}channel_type, ${q}endpoint, ${q}payload,
  ${q}headers, ${q}error, ${q}cursor_txid::text AS cursor_txid, ${q}cursor_seq::text AS cursor_seq, ${q}event_count::text AS event_count,
  ${q}failed_attempts, ${q}next_attempt_at, ${q}created_at, ${q}updated_at`;
};
const SUBSCRIPTION_COLUMNS = subscriptionColumns();

/**
 * The outbox columns as the relay reads them, from `notification_outbox n`. The text casts get
 * aliases of their own on purpose: ORDER BY resolves a bare name to an output column first, so
 * aliasing txid::text AS txid would silently sort by text ('10' < '9') and break the order.
 */
const OUTBOX_COLUMNS = `n.seq::text AS seq_text, n.txid::text AS txid_text, n.immunization_id, n.version, n.operation, n.supplier,
  n.vaccine_type, n.nhs_number, n.source_organisation, n.subject_age, n.recorded_at`;

/** Rows every later reader agrees on (see the comment at the top). */
const SETTLED = `txid < pg_snapshot_xmin(pg_current_snapshot())`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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

@Injectable()
export class NotificationStore {
  // ---- the write path (inside the Immunization write transaction): exactly one statement ----

  async appendOutbox(
    tx: Tx,
    r: {
      id: string;
      version: number;
      operation: ChangeOperation;
      supplier: string;
      vaccineType: string;
      nhsNumber: string;
      sourceOrganisation: string | null;
      subjectAge: number | null;
      recordedAt: Date;
    },
  ): Promise<void> {
    await tx.query(
      `INSERT INTO notification_outbox (immunization_id, version, operation, supplier, vaccine_type, nhs_number, source_organisation, subject_age, recorded_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [r.id, r.version, r.operation, r.supplier, r.vaccineType, r.nhsNumber, r.sourceOrganisation, r.subjectAge, r.recordedAt],
    );
  }

  /** appendOutbox for many changes of one transaction, in one statement, keeping their order. */
  async appendOutboxMany(tx: Tx, rs: Parameters<NotificationStore['appendOutbox']>[1][]): Promise<void> {
    if (rs.length === 0) return;
    await tx.query(
      `INSERT INTO notification_outbox (immunization_id, version, operation, supplier, vaccine_type, nhs_number, source_organisation, subject_age, recorded_at)
       SELECT v.id, v.version, v.operation, v.supplier, v.vaccine_type, v.nhs_number, v.source_organisation, v.subject_age, v.recorded_at
         FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::timestamptz[]) WITH ORDINALITY
           AS v(id, version, operation, supplier, vaccine_type, nhs_number, source_organisation, subject_age, recorded_at, n)
        ORDER BY v.n`,
      [
        rs.map((r) => r.id),
        rs.map((r) => r.version),
        rs.map((r) => r.operation),
        rs.map((r) => r.supplier),
        rs.map((r) => r.vaccineType),
        rs.map((r) => r.nhsNumber),
        rs.map((r) => r.sourceOrganisation),
        rs.map((r) => r.subjectAge),
        rs.map((r) => r.recordedAt),
      ],
    );
  }

  // ---- subscriptions (the REST API) ----

  /**
   * A new subscription starts at the current settled position: it hears every change that commits
   * after it does (and possibly a few that were committing at the same moment).
   */
  async create(db: SqlExecutor, id: string, supplier: string, w: SubscriptionWrite, at: Date): Promise<SubscriptionRow> {
    const { rows } = await db.query<SubscriptionRow>(
      `INSERT INTO subscription (id, supplier, version, status, resource, criteria, channel_type, endpoint, payload, headers,
         cursor_txid, cursor_seq, created_at, updated_at)
       VALUES ($1, $2, 1, $3, $4::json, $5::jsonb, $6, $7, $8, $9::jsonb, pg_snapshot_xmin(pg_current_snapshot()), 0, $10, $10)
       RETURNING ${SUBSCRIPTION_COLUMNS}`,
      [
        id,
        supplier,
        w.status,
        JSON.stringify(w.resource),
        JSON.stringify(w.filter),
        w.channelType,
        w.endpoint,
        w.payload,
        JSON.stringify(w.headers),
        at,
      ],
    );
    return rows[0];
  }

  async findOwned(db: SqlExecutor, id: string, supplier: string): Promise<SubscriptionRow | null> {
    if (!UUID.test(id)) return null;
    const { rows } = await db.query<SubscriptionRow>(`SELECT ${SUBSCRIPTION_COLUMNS} FROM subscription WHERE id = $1 AND supplier = $2`, [
      id,
      supplier,
    ]);
    return rows[0] ?? null;
  }

  async listOwned(db: SqlExecutor, supplier: string, limit: number): Promise<SubscriptionRow[]> {
    const { rows } = await db.query<SubscriptionRow>(
      `SELECT ${SUBSCRIPTION_COLUMNS} FROM subscription WHERE supplier = $1 ORDER BY created_at, id LIMIT $2`,
      [supplier, limit],
    );
    return rows;
  }

  /**
   * Replaces a subscription if it is still at `expectedVersion`. Moving to active clears the error
   * and the retry state but keeps the cursor, so delivery resumes at the event that failed; moving
   * from off to active starts again from the current position (off means no events are kept for it).
   */
  async replace(
    db: SqlExecutor,
    id: string,
    supplier: string,
    expectedVersion: number,
    w: SubscriptionWrite,
    at: Date,
  ): Promise<SubscriptionRow | null> {
    const { rows } = await db.query<SubscriptionRow>(
      `UPDATE subscription SET
         version = version + 1, status = $4, resource = $5::json, criteria = $6::jsonb, channel_type = $7, endpoint = $8,
         payload = $9, headers = $10::jsonb, updated_at = $11,
         error = CASE WHEN $4 = 'error' THEN error ELSE NULL END,
         failed_attempts = CASE WHEN $4 = 'active' AND status <> 'active' THEN 0 ELSE failed_attempts END,
         next_attempt_at = CASE WHEN $4 = 'active' AND status <> 'active' THEN NULL ELSE next_attempt_at END,
         cursor_txid = CASE WHEN status = 'off' AND $4 <> 'off' THEN pg_snapshot_xmin(pg_current_snapshot()) ELSE cursor_txid END,
         cursor_seq = CASE WHEN status = 'off' AND $4 <> 'off' THEN 0 ELSE cursor_seq END
       WHERE id = $1 AND supplier = $2 AND version = $3
       RETURNING ${SUBSCRIPTION_COLUMNS}`,
      [
        id,
        supplier,
        expectedVersion,
        w.status,
        JSON.stringify(w.resource),
        JSON.stringify(w.filter),
        w.channelType,
        w.endpoint,
        w.payload,
        JSON.stringify(w.headers),
        at,
      ],
    );
    return rows[0] ?? null;
  }

  /** Deletes a subscription and its attempt log; false when the supplier has no such subscription. */
  async delete(db: SqlExecutor, id: string, supplier: string): Promise<boolean> {
    if (!UUID.test(id)) return false;
    const { rows } = await db.query<{ n: number }>(
      `WITH d AS (DELETE FROM subscription WHERE id = $1 AND supplier = $2 RETURNING id),
            a AS (DELETE FROM notification_attempt WHERE subscription_id IN (SELECT id FROM d))
       SELECT count(*)::int AS n FROM d`,
      [id, supplier],
    );
    return rows[0].n === 1;
  }

  // ---- the relay ----

  /**
   * Claims up to `limit` active subscriptions that have settled outbox rows past their cursor, are
   * not leased by a live relay and are not waiting out a retry delay, the furthest behind first:
   * one statement, rows locked
   * FOR UPDATE SKIP LOCKED so concurrent relays never claim the same subscription, then leased to
   * `owner` for `leaseMs`. The lease (not a lock held across the HTTP call) is what keeps a single
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
    p: { id: string; owner: string; fromCount: string; count: string; to: Cursor; release: boolean; attempts: Attempt[] },
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
    p: {
      id: string;
      owner: string;
      fromCount: string;
      to: Cursor;
      delayMs: number;
      maxAttempts: number;
      errorText: string;
      attempt: Attempt;
    },
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

  /**
   * Removes outbox rows every subscription that still needs them has passed (error subscriptions
   * hold their place; off ones restart from the current position when turned back on).
   */
  async pruneOutbox(db: SqlExecutor, batch: number): Promise<number> {
    const { rows } = await db.query<{ n: number }>(
      `WITH lowest AS (
         SELECT cursor_txid, cursor_seq FROM subscription WHERE status <> 'off' ORDER BY cursor_txid, cursor_seq LIMIT 1),
       doomed AS (
         SELECT seq FROM notification_outbox o
          WHERE o.${SETTLED}
            AND (NOT EXISTS (SELECT 1 FROM lowest)
                 OR (o.txid, o.seq) <= ((SELECT cursor_txid FROM lowest), (SELECT cursor_seq FROM lowest)))
          ORDER BY o.txid, o.seq LIMIT $1),
       d AS (DELETE FROM notification_outbox WHERE seq IN (SELECT seq FROM doomed) RETURNING 1)
       SELECT count(*)::int AS n FROM d`,
      [batch],
    );
    return rows[0].n;
  }

  async pruneAttempts(db: SqlExecutor, olderThanDays: number, batch: number): Promise<number> {
    const { rows } = await db.query<{ n: number }>(
      `WITH d AS (DELETE FROM notification_attempt WHERE id IN (
          SELECT id FROM notification_attempt WHERE attempted_at < now() - make_interval(days => $1::int) LIMIT $2) RETURNING 1)
       SELECT count(*)::int AS n FROM d`,
      [olderThanDays, batch],
    );
    return rows[0].n;
  }

  /**
   * For the gauges: changes not yet passed by subscriptions that are waiting to retry (capped per
   * subscription), and the age of the oldest change some active or failed subscription has not passed.
   */
  async backlog(db: SqlExecutor): Promise<{ retryBacklog: number; oldestAgeSeconds: number }> {
    const { rows } = await db.query<{ retry_backlog: string | null; oldest_age: string | null }>(
      `SELECT COALESCE(sum(p.n) FILTER (WHERE s.failed_attempts > 0), 0)::text AS retry_backlog,
              EXTRACT(EPOCH FROM clock_timestamp() - min(h.recorded_at))::text AS oldest_age
         FROM subscription s
         LEFT JOIN LATERAL (SELECT count(*) AS n FROM (
             SELECT 1 FROM notification_outbox o WHERE (o.txid, o.seq) > (s.cursor_txid, s.cursor_seq) LIMIT 100000) x) p ON s.failed_attempts > 0
         LEFT JOIN LATERAL (SELECT recorded_at FROM notification_outbox o
             WHERE (o.txid, o.seq) > (s.cursor_txid, s.cursor_seq) ORDER BY o.txid, o.seq LIMIT 1) h ON true
        WHERE s.status IN ('active', 'error')`,
    );
    return { retryBacklog: Number(rows[0]?.retry_backlog ?? 0), oldestAgeSeconds: Math.max(0, Number(rows[0]?.oldest_age ?? 0)) };
  }
}
