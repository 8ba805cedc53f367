import { Injectable } from '@nestjs/common';
import type { SqlExecutor, Tx } from '../../database/database';
import type { ChangeFacts } from '../domain/change-facts';
import { SETTLED } from './notification-rows';

/** One change as the outbox keeps it: the facts the relay filters on, so it never reads Immunization tables. */
export interface OutboxEntry extends ChangeFacts {
  /** The Immunization's id. */
  id: string;
}

/**
 * The outbox apart from the relay's reads: appended by the projector inside the Immunization write
 * transaction, pruned by the relay's housekeeping, measured by the gauges.
 */
@Injectable()
export class OutboxStore {
  /** The write path's share: exactly one statement. */
  async append(tx: Tx, r: OutboxEntry): Promise<void> {
    await tx.query(
      `INSERT INTO notification_outbox (immunization_id, version, operation, supplier, vaccine_type, nhs_number, source_organisation, subject_age, recorded_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [r.id, r.version, r.operation, r.supplier, r.vaccineType, r.nhsNumber, r.sourceOrganisation, r.subjectAge, r.recordedAt],
    );
  }

  /** append for many changes of one transaction, in one statement, keeping their order. */
  async appendMany(tx: Tx, rs: OutboxEntry[]): Promise<void> {
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
