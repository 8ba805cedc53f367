import type { ChangeOperation } from '../../immunization/public';
import type { SignalFilter } from '../domain/criteria';
import type { ChannelType, Payload, SubscriptionStatus } from '../domain/subscription-resource';

/*
 * The Notification module's tables as its stores read them, and what every store's SQL shares.
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

/** A position in the outbox, in delivery order. */
export interface Cursor {
  txid: string;
  seq: string;
}

/** One delivery attempt, as the attempt log keeps it. */
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

/** One record of progress: moves the cursor and event count, fenced on the count recorded before. */
export interface ProgressRecord {
  fromCount: string;
  count: string;
  to: Cursor;
  release: boolean;
  attempts: Attempt[];
}

/** A failure to record (after everything before it is on record), which also gives the lease back. */
export interface FailureRecord {
  fromCount: string;
  to: Cursor;
  delayMs: number;
  maxAttempts: number;
  errorText: string;
  attempt: Attempt;
}

/** The columns of a subscription row, optionally qualified by a table alias. */
export const subscriptionColumns = (t = '') => {
  const q = t ? `${t}.` : '';
  return `${q}id, ${q}supplier, ${q}version, ${q}status, ${q}resource, ${q}criteria, ${q}channel_type, ${q}endpoint, ${q}payload,
  ${q}headers, ${q}error, ${q}cursor_txid::text AS cursor_txid, ${q}cursor_seq::text AS cursor_seq, ${q}event_count::text AS event_count,
  ${q}failed_attempts, ${q}next_attempt_at, ${q}created_at, ${q}updated_at`;
};

/** Rows every later reader agrees on (see the comment at the top). */
export const SETTLED = `txid < pg_snapshot_xmin(pg_current_snapshot())`;
