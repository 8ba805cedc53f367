import { Injectable } from '@nestjs/common';
import type { SqlExecutor } from '../../database/database';

export interface InboxEvent {
  eventId: string;
  type: string;
  subject: string;
  attempts: number;
}

/** All SQL of the inbound MNS event inbox. */
@Injectable()
export class MnsInboxRepository {
  /** Stores an accepted event; a repeat of an event id already stored changes nothing. */
  async store(db: SqlExecutor, e: { id: string; type: string; subject: string; event: unknown }): Promise<boolean> {
    const { rows } = await db.query(
      `INSERT INTO patient_mns_inbox (event_id, type, subject, event) VALUES ($1, $2, $3, $4::json)
       ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
      [e.id, e.type, e.subject, JSON.stringify(e.event)],
    );
    return rows.length === 1;
  }

  /**
   * Claims the oldest due event for `leaseMs`: an instance that dies holding it (kill -9) loses
   * only the lease, and the event is taken up again when it runs out.
   */
  async claim(db: SqlExecutor, leaseMs: number): Promise<InboxEvent | null> {
    const { rows } = await db.query<{ event_id: string; type: string; subject: string; attempts: number }>(
      `UPDATE patient_mns_inbox SET lease_until = now() + make_interval(secs => $1::double precision / 1000), attempts = attempts + 1
        WHERE event_id = (
          SELECT event_id FROM patient_mns_inbox
           WHERE processed_at IS NULL AND next_attempt_at <= now() AND (lease_until IS NULL OR lease_until < now())
           ORDER BY next_attempt_at, received_at
           LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING event_id, type, subject, attempts`,
      [leaseMs],
    );
    const r = rows[0];
    return r ? { eventId: r.event_id, type: r.type, subject: r.subject, attempts: r.attempts } : null;
  }

  async done(db: SqlExecutor, eventId: string, outcome: string): Promise<void> {
    await db.query(
      `UPDATE patient_mns_inbox SET processed_at = now(), outcome = $2, lease_until = NULL, last_error = NULL WHERE event_id = $1`,
      [eventId, outcome],
    );
  }

  async retryLater(db: SqlExecutor, eventId: string, delayMs: number, error: string): Promise<void> {
    await db.query(
      `UPDATE patient_mns_inbox SET next_attempt_at = now() + make_interval(secs => $2::double precision / 1000), lease_until = NULL, last_error = $3
        WHERE event_id = $1`,
      [eventId, delayMs, error.slice(0, 500)],
    );
  }
}
