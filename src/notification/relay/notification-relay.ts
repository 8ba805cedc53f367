import { randomUUID } from 'node:crypto';
import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SupplierRegistry } from '../../auth/supplier-registry';
import { APP_CONFIG, AppConfig, fhirBaseUrl } from '../../config/app-config';
import { Database } from '../../database/database';
import { JsonLogger } from '../../logging/json-logger';
import { matches } from '../domain/criteria';
import { natsSubjectOf } from '../domain/subscription-resource';
import type { DeliveryOutcome } from '../delivery/delivery-outcome';
import { NatsPublisher } from '../delivery/nats.publisher';
import { RestHookSender } from '../delivery/rest-hook.sender';
import type { Attempt, Cursor, OutboxRow, SubscriptionRow } from '../infrastructure/notification-rows';
import { OutboxStore } from '../infrastructure/outbox.store';
import { RelayStore } from '../infrastructure/relay.store';
import { NotificationMetrics } from '../notification.metrics';
import { actionOf, renderSignal, SignalEvent } from '../signal/signals';
import { retryDelayMs } from '../../scheduling/backoff';

/** Outbox rows read per query while working on one subscription. */
const BATCH = 100;
/** Subscriptions one instance works on at once (each has at most one delivery in flight). */
const MAX_PARALLEL = 16;
/**
 * After a nudge, look again a little later (twice): on PostgreSQL a change can be committed but
 * not yet settled (an older transaction is still open). PGlite has one session, so it is always settled.
 */
const SETTLE_DELAYS_MS = [25, 100];
/** Claims are at least this far apart however often writes nudge: a claim is a statement, and busy subscriptions are served by their lingering workers anyway. */
const MIN_CLAIM_GAP_MS = { postgres: 20, embedded: 50 };
/** Longest pause between claim attempts while claiming keeps failing (database outage). */
const CLAIM_BACKOFF_MAX_MS = 10_000;
/** A worker that runs out of changes waits this many rounds for more before giving its lease back. */
const LINGER_ROUNDS = 3;
const LINGER_WAIT_MS = { postgres: 40, embedded: 100 };
/** When every slot is busy, a worker hands its subscription back after this long, so none starves. */
const WORK_SLICE_MS = 5000;
const SHUTDOWN_GRACE_MS = 2000;
const HOUSEKEEPING_MS = 60_000;
const ATTEMPT_RETENTION_DAYS = 7;

interface Worker {
  sub: SubscriptionRow;
  abort: AbortController;
  /** Set when the lease could not be renewed: stop after the current step. */
  lost: boolean;
  done: Promise<void>;
}

const cursorOf = (r: OutboxRow): Cursor => ({ txid: r.txid, seq: r.seq });

/**
 * The transactional outbox relay (one per app instance, started when NOTIFICATION_RELAY_ENABLED).
 *
 * Loop: claim subscriptions that have settled changes past their cursor (FOR UPDATE SKIP LOCKED,
 * one at a time so that relays side by side share them, then a renewable lease), and for each run
 * one worker that walks the outbox in (txid, seq) order from the cursor: changes that the
 * subscription's filters or its supplier's current read permissions rule out are passed over; each
 * other change is delivered, the next one only after the receiver accepted it. So per subscription
 * there is one delivery in flight and deliveries follow commit order.
 *
 * Event-numbers: the number of a delivery is the recorded event count plus the deliveries made
 * since, and the cursor and count are recorded together (ProgressRecorder: behind the deliveries,
 * one statement overlapping the next HTTP call), fenced on the lease and on the count last
 * recorded. A relay that lost its lease can therefore never record, and a number is recorded
 * exactly once: they run 1, 2, 3, … with no gap or duplicate. A crash loses only the unrecorded
 * tail, which the next holder re-sends with the same numbers (a repeat the receiver can see, never
 * a gap). A failure is recorded after everything before it, and releases the lease with a backoff
 * delay (full jitter); the NOTIFICATION_MAX_ATTEMPTS-th failure in a row puts the subscription in
 * `error`, and a PUT back to active resumes at the same event.
 *
 * No database transaction stays open across a delivery: on PGlite that would stall every other
 * caller, and on PostgreSQL it would pin a pooled connection per slow receiver. The lease does the
 * job of the lock, and a relay that dies simply stops renewing it.
 */
@Injectable()
export class NotificationRelay implements OnApplicationBootstrap, OnModuleDestroy {
  readonly instanceId = randomUUID();
  readonly leaseMs: number;
  private running = false;
  private readonly workers = new Map<string, Worker>();
  private loopDone: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  /** Nudged since the current claim started. */
  private dirty = false;
  private settleRounds = 0;
  /** Claim rounds failed in a row (database unavailable); 0 when claiming works. */
  private claimFailures = 0;
  private renewFailures = 0;
  private changeWaiters: (() => void)[] = [];
  private renewTimer: NodeJS.Timeout | null = null;
  private housekeepingTimer: NodeJS.Timeout | null = null;
  private readonly base: string;

  constructor(
    private readonly db: Database,
    private readonly store: RelayStore,
    private readonly outbox: OutboxStore,
    private readonly restHook: RestHookSender,
    private readonly nats: NatsPublisher,
    private readonly suppliers: SupplierRegistry,
    private readonly metrics: NotificationMetrics,
    private readonly logger: JsonLogger,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.leaseMs = Math.min(60_000, Math.max(3000, 10 * config.notificationPollMs));
    this.base = fhirBaseUrl(config);
  }

  onApplicationBootstrap() {
    if (this.config.notificationRelayEnabled) this.start();
  }

  async onModuleDestroy() {
    await this.stop();
    // The API opens the NATS connection too (stream set-up), relay or not.
    this.restHook.close();
    await this.nats.close();
  }

  get isRunning(): boolean {
    return this.running;
  }

  start() {
    if (this.running) return;
    this.running = true;
    this.renewTimer = setInterval(() => void this.renewLeases(), Math.floor(this.leaseMs / 3));
    this.housekeepingTimer = setInterval(() => void this.housekeeping(), HOUSEKEEPING_MS);
    this.renewTimer.unref();
    this.housekeepingTimer.unref();
    this.loopDone = this.loop();
    this.logger.info('notification relay started', { instance: this.instanceId, leaseMs: this.leaseMs });
  }

  /** Stops claiming, lets in-flight deliveries finish for a moment, interrupts the rest, gives up leases. */
  async stop() {
    if (!this.running) return;
    this.running = false;
    this.wake?.();
    await this.loopDone;
    const pending = [...this.workers.values()];
    const graceful = Promise.all(pending.map((w) => w.done));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([graceful, new Promise((r) => (timer = setTimeout(r, SHUTDOWN_GRACE_MS)))]);
    clearTimeout(timer);
    for (const w of this.workers.values()) w.abort.abort();
    await graceful;
    if (this.renewTimer) clearInterval(this.renewTimer);
    if (this.housekeepingTimer) clearInterval(this.housekeepingTimer);
    await this.store
      .release(this.db, this.instanceId, null)
      .catch((e) => this.logger.warn('releasing notification leases failed', { error: (e as Error).message }));
    this.logger.info('notification relay stopped', { instance: this.instanceId });
  }

  /** A change was committed: look for work now rather than at the next poll. */
  nudge() {
    this.dirty = true;
    this.settleRounds = SETTLE_DELAYS_MS.length;
    for (const w of this.changeWaiters.splice(0)) w();
    this.wake?.();
  }

  /** Resolves at the next nudge, or after `ms`. */
  private nextChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.changeWaiters = this.changeWaiters.filter((w) => w !== done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.changeWaiters.push(done);
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = null;
        resolve();
      };
    });
  }

  private async loop() {
    const minGap = this.db.isEmbedded ? MIN_CLAIM_GAP_MS.embedded : MIN_CLAIM_GAP_MS.postgres;
    while (this.running) {
      const started = Date.now();
      this.dirty = false;
      let claimed = 0;
      try {
        claimed = await this.claim();
        if (this.claimFailures > 0) this.logger.info('notification relay: claiming works again', { failedRounds: this.claimFailures });
        this.claimFailures = 0;
      } catch (e) {
        // A database outage fails every round: say so once, then back off (poll interval doubling
        // up to 10 s) instead of a warning a second; the first success after it says so too.
        if (this.claimFailures++ === 0)
          this.logger.warn('notification relay: claiming failed, backing off until it works again', { error: (e as Error).message });
      }
      if (!this.running) break;
      if (this.claimFailures > 0) {
        await this.sleep(Math.min(CLAIM_BACKOFF_MAX_MS, this.config.notificationPollMs * 2 ** Math.min(this.claimFailures, 16)));
        continue;
      }
      // One subscription per claim, and straight back for the next while there are any: relays
      // running side by side then share the subscriptions between them instead of one taking all.
      if (claimed > 0 && this.workers.size < MAX_PARALLEL) {
        await new Promise((r) => setImmediate(r));
        continue;
      }
      let delay = this.config.notificationPollMs;
      if (this.dirty) delay = 0;
      else if (this.settleRounds > 0) delay = SETTLE_DELAYS_MS[SETTLE_DELAYS_MS.length - this.settleRounds--];
      if (delay > 0) await this.sleep(delay);
      const gap = minGap - (Date.now() - started);
      if (gap > 0 && this.running) await new Promise((r) => setTimeout(r, gap));
    }
  }

  private async claim(): Promise<number> {
    const room = MAX_PARALLEL - this.workers.size;
    if (room <= 0) return 0;
    const subs = await this.store.claim(this.db, this.instanceId, this.leaseMs, 1, [...this.workers.keys()]);
    for (const sub of subs) {
      const w: Worker = { sub, abort: new AbortController(), lost: false, done: Promise.resolve() };
      this.workers.set(sub.id, w);
      w.done = this.work(w)
        .catch(async (e) => {
          this.logger.warn('notification relay: worker failed', { subscription: sub.id, error: (e as Error).message });
          // Give the lease back rather than let it run out; what was not recorded is sent again.
          await this.store.release(this.db, this.instanceId, [sub.id]).catch(() => undefined);
        })
        .finally(() => {
          this.workers.delete(sub.id);
          this.wake?.();
        });
    }
    return subs.length;
  }

  private async renewLeases() {
    if (this.workers.size === 0) return;
    // Judge only the workers the renewal was sent for: one that started meanwhile (its subscription
    // released by a previous worker, then claimed again) would wrongly look lost.
    const asked = [...this.workers.values()];
    try {
      const held = await this.store.renew(
        this.db,
        this.instanceId,
        this.leaseMs,
        asked.map((w) => w.sub.id),
      );
      for (const w of asked) if (!held.has(w.sub.id)) w.lost = true;
      this.renewFailures = 0;
    } catch (e) {
      // Once per failure streak (a database outage fails every renewal), not once a tick.
      if (this.renewFailures++ === 0) this.logger.warn('notification relay: lease renewal failed', { error: (e as Error).message });
    }
  }

  private async housekeeping() {
    try {
      let removed = 0;
      for (let i = 0, n = 5000; i < 20 && n === 5000; i++) removed += n = await this.outbox.pruneOutbox(this.db, 5000);
      const attempts = await this.outbox.pruneAttempts(this.db, ATTEMPT_RETENTION_DAYS, 5000);
      if (removed + attempts > 0) this.logger.info('notification housekeeping', { outboxRowsRemoved: removed, attemptsRemoved: attempts });
    } catch (e) {
      this.logger.warn('notification housekeeping failed', { error: (e as Error).message });
    }
  }

  /** One subscription, while this instance holds its lease. */
  private async work(w: Worker) {
    const { sub } = w;
    const owner = this.instanceId;
    const supplier = this.suppliers.supplier(sub.supplier);
    const progress = new ProgressRecorder(this.store, this.db, sub, owner, (e) =>
      this.logger.warn('notification relay: recording progress failed', { subscription: sub.id, error: e.message }),
    );
    let failuresInARow = sub.failed_attempts;
    const keepGoing = () => this.running && !w.lost && !progress.lost && !progress.changed && !w.abort.signal.aborted;
    const lingerMs = this.db.isEmbedded ? LINGER_WAIT_MS.embedded : LINGER_WAIT_MS.postgres;
    let idleRounds = 0;
    const sliceEnds = Date.now() + WORK_SLICE_MS;

    while (keepGoing()) {
      if (Date.now() > sliceEnds && this.workers.size >= MAX_PARALLEL) break;
      const { subscription, rows } = await this.store.pending(this.db, { id: sub.id, owner, after: progress.passed, limit: BATCH });
      if (subscription === null) {
        // Lease lost or subscription deleted: whoever holds it now carries on from the recorded cursor.
        w.lost = true;
        break;
      }
      if (subscription.version !== sub.version || subscription.status !== 'active') break; // changed by a PUT: reclaim with the new settings
      if (rows.length === 0) {
        // Caught up. More changes usually follow soon: wait a little before handing the lease back.
        if (++idleRounds > LINGER_ROUNDS) break;
        await this.nextChange(lingerMs);
        continue;
      }
      idleRounds = 0;
      for (const row of rows) {
        if (!keepGoing()) break;
        const deliverable =
          matches(sub.criteria, {
            vaccineType: row.vaccine_type,
            action: actionOf(row.operation),
            sourceOrganisation: row.source_organisation,
            sourceApplication: row.supplier,
            subjectAge: row.subject_age,
          }) &&
          (supplier?.permissions.allows('read', row.vaccine_type) ?? false);
        if (!deliverable) {
          progress.skip(row);
          continue;
        }
        const number = progress.count + 1n;
        const at = new Date();
        const outcome = await this.deliver(sub, row, String(number), w.abort.signal);
        if (outcome.reason === 'aborted') break;
        const attempt: Attempt = {
          subscriptionId: sub.id,
          eventNumber: String(number),
          outboxSeq: row.seq,
          immunizationId: row.immunization_id,
          at,
          durationMs: outcome.durationMs,
          outcome: outcome.ok ? 'delivered' : 'failed',
          statusCode: outcome.statusCode,
          error: outcome.error,
          relayInstance: owner,
        };
        if (outcome.ok) {
          this.metrics.delivered(sub.channel_type, outcome.durationMs / 1000, new Date(row.recorded_at));
          failuresInARow = 0;
          progress.delivered(row, attempt);
          continue;
        }
        this.metrics.failed(sub.channel_type, outcome.durationMs / 1000, outcome.reason ?? 'network');
        // Everything before this event must be on record before the failure is.
        if (!(await progress.settle())) break;
        const failures = failuresInARow + 1;
        const max = this.config.notificationMaxAttempts;
        const r = await this.store.fail(this.db, {
          id: sub.id,
          owner,
          fromCount: String(progress.count),
          to: progress.passed,
          delayMs: retryDelayMs(failures, this.config.notificationRetryBaseMs, this.config.notificationRetryMaxMs),
          maxAttempts: max,
          errorText:
            `Delivery of event-number ${number} failed ${max} time${max === 1 ? '' : 's'} in a row; the last attempt at ${at.toISOString()} got ` +
            `${outcome.error ?? 'no answer'}. Update the subscription with status active to resume from that event.`,
          attempt,
        });
        if (r === null) w.lost = true;
        else if (r.status === 'error')
          this.logger.warn('subscription put in error', { subscription: sub.id, eventNumber: String(number), failures: r.failed_attempts });
        return; // the lease is given back either way
      }
    }
    if (w.lost || !(await progress.settle())) return;
    await progress.finish();
  }

  private deliver(sub: SubscriptionRow, row: OutboxRow, eventNumber: string, abort: AbortSignal): Promise<DeliveryOutcome> {
    const event: SignalEvent = {
      subscriptionUrl: `${this.base}/Subscription/${sub.id}`,
      eventNumber,
      focusUrl: `${this.base}/Immunization/${row.immunization_id}`,
      immunizationId: row.immunization_id,
      version: row.version,
      operation: row.operation,
      supplier: row.supplier,
      vaccineType: row.vaccine_type,
      nhsNumber: row.nhs_number,
      sourceOrganisation: row.source_organisation,
      subjectAge: row.subject_age,
      recordedAt: new Date(row.recorded_at),
    };
    const { contentType, body } = renderSignal(sub.payload, event);
    if (sub.channel_type === 'message') {
      const subject = natsSubjectOf(sub.endpoint);
      if (subject === null || !this.nats.enabled) {
        return Promise.resolve({
          ok: false,
          statusCode: null,
          error: 'NATS is not configured on this server (NATS_URL)',
          reason: 'broker',
          durationMs: 0,
        });
      }
      return this.nats.publish(subject, sub.headers, contentType, body, `${sub.id}:${eventNumber}`);
    }
    return this.restHook.send(sub.endpoint, sub.headers, contentType, body, abort);
  }
}

/**
 * What a worker has delivered and passed over, recorded in the database behind the deliveries:
 * the next delivery does not wait for the previous one's record (one statement, overlapping the
 * HTTP call), and records coalesce when deliveries outpace the database. A crash loses at most the
 * unrecorded tail, which the next holder of the lease re-sends with the same event-numbers (a
 * visible repeat, never a gap). Failures, releases and the end of a run wait for the record.
 */
class ProgressRecorder {
  /** The in-memory position: after the last row delivered or passed over. */
  passed: Cursor;
  count: bigint;
  lost = false;
  /** The subscription was changed by a PUT: stop and reclaim with its new settings. */
  changed = false;
  private recorded: { cursor: Cursor; count: bigint };
  private attempts: Attempt[] = [];
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly store: RelayStore,
    private readonly db: Database,
    private readonly sub: SubscriptionRow,
    private readonly owner: string,
    private readonly onError: (e: Error) => void,
  ) {
    this.passed = { txid: sub.cursor_txid, seq: sub.cursor_seq };
    this.count = BigInt(sub.event_count);
    this.recorded = { cursor: this.passed, count: this.count };
  }

  skip(row: OutboxRow) {
    this.passed = cursorOf(row);
  }

  delivered(row: OutboxRow, attempt: Attempt) {
    this.passed = cursorOf(row);
    this.count += 1n;
    this.attempts.push(attempt);
    this.startFlush();
  }

  private get unrecorded(): boolean {
    return this.count !== this.recorded.count || this.attempts.length > 0;
  }

  private startFlush() {
    if (this.flushing || this.lost) return;
    const run: Promise<void> = this.flush().finally(() => {
      if (this.flushing === run) this.flushing = null;
    });
    this.flushing = run;
  }

  private async flush() {
    try {
      while (!this.lost && this.unrecorded) {
        const target = { cursor: this.passed, count: this.count };
        const attempts = this.attempts.splice(0);
        const r = await this.store.advance(this.db, {
          id: this.sub.id,
          owner: this.owner,
          fromCount: String(this.recorded.count),
          count: String(target.count),
          to: target.cursor,
          release: false,
          attempts,
        });
        if (r === null) this.lost = true;
        else {
          this.recorded = target;
          if (r.version !== this.sub.version || r.status !== 'active') this.changed = true;
        }
      }
    } catch (e) {
      // Cannot record (database trouble): stop; the lease runs out and the unrecorded tail is re-sent.
      this.lost = true;
      this.onError(e as Error);
    }
  }

  /** Waits until everything delivered so far is on record; false when that is no longer possible. */
  async settle(): Promise<boolean> {
    for (;;) {
      if (this.flushing) await this.flushing;
      else if (!this.lost && this.unrecorded) this.startFlush();
      else return !this.lost;
    }
  }

  /** Records any rows passed over since, and gives the lease back. */
  async finish() {
    const moved = this.passed.txid !== this.recorded.cursor.txid || this.passed.seq !== this.recorded.cursor.seq;
    if (!moved) await this.store.release(this.db, this.owner, [this.sub.id]);
    else {
      const count = String(this.recorded.count);
      await this.store.advance(this.db, {
        id: this.sub.id,
        owner: this.owner,
        fromCount: count,
        count,
        to: this.passed,
        release: true,
        attempts: [],
      });
    }
  }
}
