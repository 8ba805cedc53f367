import { Injectable } from '@nestjs/common';
import type { SqlExecutor } from '../../database/database';
import type { SubscriptionRecord, SubscriptionRequest } from '../domain/subscription-resource';
import { subscriptionColumns, SubscriptionRow } from './notification-rows';

const SUBSCRIPTION_COLUMNS = subscriptionColumns();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The request's columns as parameters, in the order both create and replace list them. */
const requestParams = (w: SubscriptionRequest) => [
  w.status,
  JSON.stringify(w.resource),
  JSON.stringify(w.filter),
  w.channelType,
  w.endpoint,
  w.payload,
  JSON.stringify(w.headers),
];

const recordOf = (row: SubscriptionRow): SubscriptionRecord => ({
  id: row.id,
  version: row.version,
  updatedAt: new Date(row.updated_at),
  status: row.status,
  error: row.error,
  resource: row.resource,
});

/** The subscription API's SQL (create, read, list, replace, delete); the relay's is in RelayStore. */
@Injectable()
export class SubscriptionStore {
  /**
   * A new subscription starts at the current settled position: it hears every change that commits
   * after it does (and possibly a few that were committing at the same moment).
   */
  async create(db: SqlExecutor, id: string, supplier: string, w: SubscriptionRequest, at: Date): Promise<SubscriptionRecord> {
    const { rows } = await db.query<SubscriptionRow>(
      `INSERT INTO subscription (id, supplier, version, status, resource, criteria, channel_type, endpoint, payload, headers,
         cursor_txid, cursor_seq, created_at, updated_at)
       VALUES ($1, $2, 1, $3, $4::json, $5::jsonb, $6, $7, $8, $9::jsonb, pg_snapshot_xmin(pg_current_snapshot()), 0, $10, $10)
       RETURNING ${SUBSCRIPTION_COLUMNS}`,
      [id, supplier, ...requestParams(w), at],
    );
    return recordOf(rows[0]);
  }

  async findOwned(db: SqlExecutor, id: string, supplier: string): Promise<SubscriptionRecord | null> {
    if (!UUID.test(id)) return null;
    const { rows } = await db.query<SubscriptionRow>(`SELECT ${SUBSCRIPTION_COLUMNS} FROM subscription WHERE id = $1 AND supplier = $2`, [
      id,
      supplier,
    ]);
    return rows[0] ? recordOf(rows[0]) : null;
  }

  async listOwned(db: SqlExecutor, supplier: string, limit: number): Promise<SubscriptionRecord[]> {
    const { rows } = await db.query<SubscriptionRow>(
      `SELECT ${SUBSCRIPTION_COLUMNS} FROM subscription WHERE supplier = $1 ORDER BY created_at, id LIMIT $2`,
      [supplier, limit],
    );
    return rows.map(recordOf);
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
    w: SubscriptionRequest,
    at: Date,
  ): Promise<SubscriptionRecord | null> {
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
      [id, supplier, expectedVersion, ...requestParams(w), at],
    );
    return rows[0] ? recordOf(rows[0]) : null;
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
}
