import { retryDelayMs } from '../../scheduling/backoff';
import type { DeliveryOutcome } from '../delivery/delivery-outcome';
import { matches, SignalFilter } from '../domain/criteria';
import type { SubscriptionStatus } from '../domain/subscription-resource';
import type { Attempt, Cursor, FailureRecord, OutboxRow, ProgressRecord } from '../infrastructure/notification-rows';
import { actionOf } from '../signal/signals';

/** Where a subscription stands: after `cursor`, with `count` events numbered so far. */
export interface Position {
  cursor: Cursor;
  count: bigint;
}

/** What the decider needs to know of a claimed subscription. */
export interface ProgressStart {
  id: string;
  /** The relay instance holding the lease: it is named on every attempt. */
  owner: string;
  /** The version claimed: a PUT since makes the worker stop and the subscription be claimed afresh. */
  version: number;
  criteria: SignalFilter;
  /** Whether the subscription's supplier may currently read this vaccine type. */
  mayRead: (vaccineType: string) => boolean;
  cursor: Cursor;
  eventCount: bigint;
  /** Failed deliveries in a row so far (0 after a PUT back to active). */
  failedAttempts: number;
}

export interface RetryRules {
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** [0, 1): the jitter of the backoff; the only source of chance, so specs can pin it. */
  random: () => number;
}

/** The subscription's version and status as a read or record finds them. */
export type Held = { version: number; status: SubscriptionStatus };

/** What to do with the next outbox row. */
export type RowAction = { kind: 'skip' } | { kind: 'deliver'; eventNumber: string };

/** What to do once a delivery has an outcome. */
export type OutcomeAction =
  /** Delivered: record it behind the next delivery (records coalesce). */
  | { kind: 'record' }
  /** Failed: wait until everything before is on record, then record `failure` and stop. */
  | { kind: 'fail'; failure: FailureRecord }
  /** Cut off by shutdown: nothing to record; the next holder sends it again. */
  | { kind: 'stop' };

/** What a read of the outbox after the cursor comes to. */
export type ReadAction = 'lost' | 'reclaim' | 'linger' | 'finish' | 'work';

const cursorOf = (r: OutboxRow): Cursor => ({ txid: r.txid, seq: r.seq });
const sameCursor = (a: Cursor, b: Cursor) => a.txid === b.txid && a.seq === b.seq;

/**
 * The relay's decisions for one subscription while one worker holds its lease: no I/O, no clock
 * (the time of an attempt is passed in), no randomness but the one it is given.
 *
 * Event-numbers: the number of a delivery is the recorded event count plus the deliveries made
 * since. Records carry the count last recorded as their fence (`fromCount`), so a record is
 * applied exactly once and in order: numbers run 1, 2, 3, … with no gap or duplicate, and a crash
 * loses only the unrecorded tail, which the next holder re-sends with the same numbers. A failure
 * is recorded after everything before it; the cursor then stands just before the failing row, so
 * the retry (and the PUT back to active after `error`) resumes at the same event and number. The
 * statement that records a failure also counts the streak and puts the subscription in `error` at
 * maxAttempts: the database, not this object, holds the count that decides it.
 */
export class SubscriptionProgress {
  /** In memory: after the last row delivered or passed over. */
  private position: Position;
  /** What the database holds, as far as confirmed records tell. */
  private recorded: Position;
  private attempts: Attempt[] = [];
  private failuresInARow: number;

  constructor(
    private readonly sub: ProgressStart,
    private readonly rules: RetryRules,
  ) {
    this.position = { cursor: sub.cursor, count: sub.eventCount };
    this.recorded = this.position;
    this.failuresInARow = sub.failedAttempts;
  }

  /** The position the next outbox read starts after. */
  get passed(): Cursor {
    return this.position.cursor;
  }

  /**
   * After a read of the outbox: `held` is the subscription's current version and status, or null
   * when the lease is gone (or the subscription deleted); `idleRounds` the empty reads in a row before.
   */
  afterRead(held: Held | null, rows: number, idleRounds: number, lingerRounds: number): ReadAction {
    if (held === null) return 'lost'; // whoever holds it now carries on from the recorded cursor
    if (!this.isCurrent(held)) return 'reclaim';
    if (rows > 0) return 'work';
    // Caught up. More changes usually follow soon: wait a little before handing the lease back.
    return idleRounds < lingerRounds ? 'linger' : 'finish';
  }

  /** A row the subscription's filters or its supplier's read permissions rule out is passed over. */
  next(row: OutboxRow): RowAction {
    const deliverable =
      matches(this.sub.criteria, {
        vaccineType: row.vaccine_type,
        action: actionOf(row.operation),
        sourceOrganisation: row.source_organisation,
        sourceApplication: row.supplier,
        subjectAge: row.subject_age,
      }) && this.sub.mayRead(row.vaccine_type);
    if (deliverable) return { kind: 'deliver', eventNumber: String(this.position.count + 1n) };
    this.position = { ...this.position, cursor: cursorOf(row) };
    return { kind: 'skip' };
  }

  /** The outcome of delivering `row` as `eventNumber` (from next()), attempted `at`. */
  outcome(row: OutboxRow, eventNumber: string, outcome: DeliveryOutcome, at: Date): OutcomeAction {
    if (outcome.reason === 'aborted') return { kind: 'stop' };
    const attempt: Attempt = {
      subscriptionId: this.sub.id,
      eventNumber,
      outboxSeq: row.seq,
      immunizationId: row.immunization_id,
      at,
      durationMs: outcome.durationMs,
      outcome: outcome.ok ? 'delivered' : 'failed',
      statusCode: outcome.statusCode,
      error: outcome.error,
      relayInstance: this.sub.owner,
    };
    if (outcome.ok) {
      this.failuresInARow = 0;
      this.position = { cursor: cursorOf(row), count: this.position.count + 1n };
      this.attempts.push(attempt);
      return { kind: 'record' };
    }
    const failures = this.failuresInARow + 1;
    const max = this.rules.maxAttempts;
    return {
      kind: 'fail',
      failure: {
        fromCount: String(this.position.count),
        to: this.position.cursor,
        delayMs: retryDelayMs(failures, this.rules.retryBaseMs, this.rules.retryMaxMs, this.rules.random),
        maxAttempts: max,
        errorText:
          `Delivery of event-number ${eventNumber} failed ${max} time${max === 1 ? '' : 's'} in a row; the last attempt at ${at.toISOString()} got ` +
          `${outcome.error ?? 'no answer'}. Update the subscription with status active to resume from that event.`,
        attempt,
      },
    };
  }

  /** Deliveries not yet on record (a failure must wait for them). */
  get unrecorded(): boolean {
    return this.position.count !== this.recorded.count || this.attempts.length > 0;
  }

  /** The record that brings the database up to date with the deliveries so far; null when it is. */
  takeRecord(): ProgressRecord | null {
    if (!this.unrecorded) return null;
    return {
      fromCount: String(this.recorded.count),
      count: String(this.position.count),
      to: this.position.cursor,
      release: false,
      attempts: this.attempts.splice(0),
    };
  }

  /** A record from takeRecord() was applied; false when it showed the subscription changed (reclaim). */
  confirm(r: ProgressRecord, held: Held): boolean {
    this.recorded = { cursor: r.to, count: BigInt(r.count) };
    return this.isCurrent(held);
  }

  /** Still the settings claimed: not changed by a PUT, not put in error or off. */
  private isCurrent(held: Held): boolean {
    return held.version === this.sub.version && held.status === 'active';
  }

  /**
   * The end of a run, with everything delivered on record: record the rows passed over since
   * (giving the lease back in the same statement), or just give the lease back.
   */
  finish(): ProgressRecord | null {
    if (sameCursor(this.position.cursor, this.recorded.cursor)) return null;
    const count = String(this.recorded.count);
    return { fromCount: count, count, to: this.position.cursor, release: true, attempts: [] };
  }
}
