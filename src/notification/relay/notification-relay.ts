import { randomUUID } from 'node:crypto';
import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SupplierRegistry } from '../../auth/supplier-registry';
import { APP_CONFIG, AppConfig, fhirBaseUrl } from '../../config/app-config';
import { Database } from '../../database/database';
import { JsonLogger } from '../../logging/json-logger';
import { NatsPublisher } from '../delivery/nats.publisher';
import { RestHookSender } from '../delivery/rest-hook.sender';
import { OutboxStore } from '../infrastructure/outbox.store';
import { RelayStore } from '../infrastructure/relay.store';
import { NotificationMetrics } from '../notification.metrics';
import { SignalDispatch } from './signal-dispatch';
import { SubscriptionWorker, WorkerContext } from './subscription-worker';
import { Wakeups } from './wakeups';

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
/** How long a worker that ran out of changes waits for more, per round (see SubscriptionWorker). */
const LINGER_WAIT_MS = { postgres: 40, embedded: 100 };
const SHUTDOWN_GRACE_MS = 2000;
const HOUSEKEEPING_MS = 60_000;
const ATTEMPT_RETENTION_DAYS = 7;

/**
 * The transactional outbox relay (one per app instance, started when NOTIFICATION_RELAY_ENABLED):
 * the scheduler. It claims subscriptions that have settled changes past their cursor (FOR UPDATE
 * SKIP LOCKED, one at a time so that relays side by side, in one process or several, share them,
 * then a renewable lease), runs one SubscriptionWorker per claimed subscription, renews the leases
 * and prunes the outbox. The workers deliver in (txid, seq) order, one delivery in flight per
 * subscription; what they do is decided by SubscriptionProgress, which also explains the
 * event-numbers: recorded fenced on the lease and on the count last recorded, so a relay that lost
 * its lease can never record and a number is recorded exactly once. A failure releases the lease
 * with a backoff delay (full jitter); the NOTIFICATION_MAX_ATTEMPTS-th failure in a row puts the
 * subscription in `error`, and a PUT back to active resumes at the same event.
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
  private readonly workers = new Map<string, SubscriptionWorker>();
  private loopDone: Promise<void> | null = null;
  private readonly wakeups = new Wakeups();
  /** Nudged since the current claim started. */
  private dirty = false;
  private settleRounds = 0;
  /** Claim rounds failed in a row (database unavailable); 0 when claiming works. */
  private claimFailures = 0;
  private renewFailures = 0;
  private renewTimer: NodeJS.Timeout | null = null;
  private housekeepingTimer: NodeJS.Timeout | null = null;
  private readonly context: WorkerContext;

  constructor(
    private readonly db: Database,
    private readonly store: RelayStore,
    private readonly outbox: OutboxStore,
    private readonly restHook: RestHookSender,
    private readonly nats: NatsPublisher,
    suppliers: SupplierRegistry,
    metrics: NotificationMetrics,
    private readonly logger: JsonLogger,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.leaseMs = Math.min(60_000, Math.max(3000, 10 * config.notificationPollMs));
    this.context = {
      db,
      store,
      dispatch: new SignalDispatch(fhirBaseUrl(config), restHook, nats),
      metrics,
      logger,
      owner: this.instanceId,
      rules: {
        maxAttempts: config.notificationMaxAttempts,
        retryBaseMs: config.notificationRetryBaseMs,
        retryMaxMs: config.notificationRetryMaxMs,
        random: Math.random,
      },
      lingerMs: db.isEmbedded ? LINGER_WAIT_MS.embedded : LINGER_WAIT_MS.postgres,
      // The supplier's current permissions: a change it may no longer read is passed over.
      mayRead: (supplier, vaccineType) => suppliers.supplier(supplier)?.permissions.allows('read', vaccineType) ?? false,
      running: () => this.running,
      crowded: () => this.workers.size >= MAX_PARALLEL,
      nextChange: (ms) => this.wakeups.nextChange(ms),
    };
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
    this.wakeups.wake();
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
    this.wakeups.changed();
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
        await this.wakeups.sleep(Math.min(CLAIM_BACKOFF_MAX_MS, this.config.notificationPollMs * 2 ** Math.min(this.claimFailures, 16)));
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
      if (delay > 0) await this.wakeups.sleep(delay);
      const gap = minGap - (Date.now() - started);
      if (gap > 0 && this.running) await new Promise((r) => setTimeout(r, gap));
    }
  }

  private async claim(): Promise<number> {
    const room = MAX_PARALLEL - this.workers.size;
    if (room <= 0) return 0;
    const subs = await this.store.claim(this.db, this.instanceId, this.leaseMs, 1, [...this.workers.keys()]);
    for (const sub of subs) {
      const w = new SubscriptionWorker(sub, this.context);
      this.workers.set(sub.id, w);
      w.done = w
        .run()
        .catch(async (e) => {
          this.logger.warn('notification relay: worker failed', { subscription: sub.id, error: (e as Error).message });
          // Give the lease back rather than let it run out; what was not recorded is sent again.
          await this.store.release(this.db, this.instanceId, [sub.id]).catch(() => undefined);
        })
        .finally(() => {
          this.workers.delete(sub.id);
          this.wakeups.wake();
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
}
