import { Injectable } from '@nestjs/common';
import type { SqlExecutor } from '../../database/database';
import type { ChangeOperation } from '../public/immunization-change';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface EventRow {
  seq: string;
  version: number;
  operation: ChangeOperation;
  vaccine_type: string;
  /** The resource's stored text (`json` keeps what the service wrote): served as it is, parsed only on demand. */
  resource_json: string;
  recorded_at: Date;
  immunization_id: string;
  txid: string;
  /** Only the change feed reads it. */
  supplier?: string;
}

/** Feed position: events are read in (txid, seq) order, see changeFeed(). */
export interface FeedCursor {
  txid: string;
  seq: string;
}

/**
 * The event log's reads: a record's history, a version, and the change feed. They hand seq/txid out
 * as text (bigint/xid8 exceed JS numbers); ORDER BY therefore names the table's columns (`e.seq`),
 * since a bare name would sort the text output column ('10' < '9').
 */
@Injectable()
export class EventLogReader {
  /** Every change of one record, newest first. */
  async history(db: SqlExecutor, id: string): Promise<EventRow[]> {
    if (!UUID.test(id)) return [];
    const { rows } = await db.query<EventRow>(
      `SELECT seq::text AS seq, txid::text AS txid, immunization_id, version, operation, vaccine_type, resource::text AS resource_json, recorded_at
         FROM immunization_event e WHERE immunization_id = $1 ORDER BY e.seq DESC`,
      [id],
    );
    return rows;
  }

  /** The representation a record had at a version (a delete keeps the number, so skip it). */
  async version(db: SqlExecutor, id: string, version: number): Promise<EventRow | null> {
    if (!UUID.test(id)) return null;
    const { rows } = await db.query<EventRow>(
      `SELECT seq::text AS seq, txid::text AS txid, immunization_id, version, operation, vaccine_type, resource::text AS resource_json, recorded_at
         FROM immunization_event e WHERE immunization_id = $1 AND version = $2 AND operation <> 'DELETE'
        ORDER BY e.seq DESC LIMIT 1`,
      [id, version],
    );
    return rows[0] ?? null;
  }

  /**
   * The change feed, oldest first. Sequence numbers are handed out before commit, so a reader going
   * by seq alone could step past a change that commits later with a smaller seq and never see it.
   * Instead the feed is ordered by (transaction id, seq) and shows only transactions older than the
   * oldest one still running (snapshot xmin): nothing can ever appear behind a cursor it has handed out.
   */
  async changeFeed(
    db: SqlExecutor,
    q: { since: Date | null; after: FeedCursor | null; types: string[]; limit: number },
  ): Promise<EventRow[]> {
    const { rows } = await db.query<EventRow>(
      `SELECT seq::text AS seq, txid::text AS txid, immunization_id, version, operation, vaccine_type, supplier, resource::text AS resource_json, recorded_at
         FROM immunization_event e
        WHERE txid < pg_snapshot_xmin(pg_current_snapshot())
          AND ($1::timestamptz IS NULL OR recorded_at >= $1)
          AND ($2::xid8 IS NULL OR (txid, seq) > ($2::xid8, $3::bigint))
          AND vaccine_type = ANY($4::text[])
        ORDER BY e.txid, e.seq
        LIMIT $5`,
      [q.since, q.after?.txid ?? null, q.after?.seq ?? null, q.types, q.limit],
    );
    return rows;
  }
}
