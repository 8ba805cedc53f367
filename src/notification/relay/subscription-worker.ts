import type { Database } from '../../database/database';
import type { JsonLogger } from '../../logging/json-logger';
import type { SubscriptionRow } from '../infrastructure/notification-rows';
import type { RelayStore } from '../infrastructure/relay.store';
import type { NotificationMetrics } from '../notification.metrics';
import type { SignalDispatch } from './signal-dispatch';
import { RetryRules, SubscriptionProgress } from './subscription-progress';

/** Outbox rows read per query while working on one subscription. */
const BATCH = 100;
/** A worker that runs out of changes waits this many rounds for more before giving its lease back. */
const LINGER_ROUNDS = 3;
/** When every slot is busy, a worker hands its subscription back after this long, so none starves. */
const WORK_SLICE_MS = 5000;

/** What a worker gets from the relay that runs it. */
export interface WorkerContext {
  db: Database;
  store: RelayStore;
  dispatch: SignalDispatch;
  metrics: NotificationMetrics;
  logger: JsonLogger;
  /** The relay instance: the lease owner. */
  owner: string;
  rules: RetryRules;
  lingerMs: number;
  mayRead(supplier: string, vaccineType: string): boolean;
  running(): boolean;
  /** Every slot is taken: a worker past its time slice hands its subscription back. */
  crowded(): boolean;
  /** Resolves at the next committed change, or after `ms`. */
  nextChange(ms: number): Promise<void>;
}

/**
 * One subscription while this instance holds its lease: reads the outbox after the cursor and
 * applies what SubscriptionProgress decides: skip, deliver (one delivery in flight, in commit
 * order), record behind the deliveries, record a failure and stop, or finish and give the lease back.
 *
 * Records run behind the deliveries: the next delivery does not wait for the previous one's record
 * (one statement, overlapping the HTTP call), and records coalesce when deliveries outpace the
 * database. A crash loses at most the unrecorded tail, which the next holder of the lease re-sends
 * with the same event-numbers (a visible repeat, never a gap). Failures, releases and the end of a
 * run wait for the record.
 */
export class SubscriptionWorker {
  readonly abort = new AbortController();
  /** Set when the lease could not be renewed or a read found it gone: stop after the current step. */
  lost = false;
  done: Promise<void> = Promise.resolve();
  private readonly progress: SubscriptionProgress;
  /** A record was fenced off or could not be written: nothing more can be recorded. */
  private recordingLost = false;
  /** A record showed the subscription changed by a PUT: stop and reclaim with its new settings. */
  private changed = false;
  private flushing: Promise<void> | null = null;

  constructor(
    readonly sub: SubscriptionRow,
    private readonly ctx: WorkerContext,
  ) {
    this.progress = new SubscriptionProgress(
      {
        id: sub.id,
        owner: ctx.owner,
        version: sub.version,
        criteria: sub.criteria,
        mayRead: (vaccineType) => ctx.mayRead(sub.supplier, vaccineType),
        cursor: { txid: sub.cursor_txid, seq: sub.cursor_seq },
        eventCount: BigInt(sub.event_count),
        failedAttempts: sub.failed_attempts,
      },
      ctx.rules,
    );
  }

  private keepGoing(): boolean {
    return this.ctx.running() && !this.lost && !this.recordingLost && !this.changed && !this.abort.signal.aborted;
  }

  async run(): Promise<void> {
    const { ctx, sub, progress } = this;
    let idleRounds = 0;
    const sliceEnds = Date.now() + WORK_SLICE_MS;
    while (this.keepGoing()) {
      if (Date.now() > sliceEnds && ctx.crowded()) break;
      const { subscription, rows } = await ctx.store.pending(ctx.db, {
        id: sub.id,
        owner: ctx.owner,
        after: progress.passed,
        limit: BATCH,
      });
      const next = progress.afterRead(subscription, rows.length, idleRounds, LINGER_ROUNDS);
      if (next === 'lost') this.lost = true;
      if (next === 'linger') {
        idleRounds++;
        await ctx.nextChange(ctx.lingerMs);
        continue;
      }
      if (next !== 'work') break;
      idleRounds = 0;
      for (const row of rows) {
        if (!this.keepGoing()) break;
        const step = progress.next(row);
        if (step.kind === 'skip') continue;
        const at = new Date();
        const outcome = await ctx.dispatch.deliver(sub, row, step.eventNumber, this.abort.signal);
        const action = progress.outcome(row, step.eventNumber, outcome, at);
        if (action.kind === 'stop') break;
        if (action.kind === 'record') {
          ctx.metrics.delivered(sub.channel_type, outcome.durationMs / 1000, new Date(row.recorded_at));
          this.startFlush();
          continue;
        }
        ctx.metrics.failed(sub.channel_type, outcome.durationMs / 1000, outcome.reason ?? 'network');
        // Everything before this event must be on record before the failure is.
        if (!(await this.settle())) break;
        const r = await ctx.store.fail(ctx.db, { id: sub.id, owner: ctx.owner, ...action.failure });
        if (r === null) this.lost = true;
        else if (r.status === 'error')
          ctx.logger.warn('subscription put in error', {
            subscription: sub.id,
            eventNumber: step.eventNumber,
            failures: r.failed_attempts,
          });
        return; // the lease is given back either way
      }
    }
    if (this.lost || !(await this.settle())) return;
    const last = progress.finish();
    if (last === null) await ctx.store.release(ctx.db, ctx.owner, [sub.id]);
    else await ctx.store.advance(ctx.db, { id: sub.id, owner: ctx.owner, ...last });
  }

  private startFlush() {
    if (this.flushing || this.recordingLost) return;
    const run: Promise<void> = this.flush().finally(() => {
      if (this.flushing === run) this.flushing = null;
    });
    this.flushing = run;
  }

  private async flush() {
    const { ctx, sub } = this;
    try {
      while (!this.recordingLost) {
        const r = this.progress.takeRecord();
        if (r === null) break;
        const held = await ctx.store.advance(ctx.db, { id: sub.id, owner: ctx.owner, ...r });
        if (held === null) this.recordingLost = true;
        else if (!this.progress.confirm(r, held)) this.changed = true;
      }
    } catch (e) {
      // Cannot record (database trouble): stop; the lease runs out and the unrecorded tail is re-sent.
      this.recordingLost = true;
      ctx.logger.warn('notification relay: recording progress failed', { subscription: sub.id, error: (e as Error).message });
    }
  }

  /** Waits until everything delivered so far is on record; false when that is no longer possible. */
  private async settle(): Promise<boolean> {
    for (;;) {
      if (this.flushing) await this.flushing;
      else if (!this.recordingLost && this.progress.unrecorded) this.startFlush();
      else return !this.recordingLost;
    }
  }
}
