import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { Counter } from 'prom-client';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { JsonLogger } from '../logging/json-logger';
import { MetricsService } from '../metrics/metrics.service';
import { LocalBuckets, localBuckets } from './cluster-rate-limiter';
import { TOKEN_BUCKET_LUA } from './rate-limiter';

type WithBucket = Redis & { takeToken(key: string, rate: number, capacity: number): Promise<number> };

/** How long one rate-limit check may wait for Redis before the in-process bucket decides. */
const REDIS_TIMEOUT_MS = 250;
/** At most one "Redis unavailable" warning per this many milliseconds. */
const WARN_EVERY_MS = 30_000;

/**
 * Per-supplier rate limits. With REDIS_URL, one bucket per supplier in Redis is shared by every
 * instance (the combined rate stays at the configured limit). Without it, or whenever Redis does
 * not answer within 250 ms, the in-process bucket decides (in a cluster: the primary's bucket, shared
 * by the instance's workers — cluster-rate-limiter.ts): each instance then enforces the limit
 * on its own share of traffic (degraded, never unlimited). Every fallback counts in
 * rate_limit_redis_errors_total and logs a warning (at most one per 30 s).
 */
@Injectable()
export class SharedRateLimiter implements OnApplicationShutdown {
  private readonly local: LocalBuckets = localBuckets();
  private readonly redis: WithBucket | null;
  private readonly prefix: string;
  private readonly errors: Counter<'reason'>;
  private readonly decisions: Counter<'store' | 'outcome'>;
  private lastWarn = 0;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly logger: JsonLogger,
    metrics: MetricsService,
  ) {
    this.prefix = config.rateLimitRedisPrefix;
    this.errors = new Counter({
      name: 'rate_limit_redis_errors_total',
      help: 'Rate-limit checks that Redis could not answer (decided by the in-process bucket instead)',
      labelNames: ['reason'] as const,
      registers: [metrics.registry],
    });
    this.decisions = new Counter({
      name: 'rate_limit_decisions_total',
      help: 'Rate-limit decisions by store (redis, local) and outcome (allowed, throttled)',
      labelNames: ['store', 'outcome'] as const,
      registers: [metrics.registry],
    });
    if (!config.redisUrl) {
      this.redis = null;
      return;
    }
    const redis = new Redis(config.redisUrl, {
      // Fail fast instead of queueing while disconnected: the local bucket answers meanwhile.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: REDIS_TIMEOUT_MS,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(times * 200, 5000),
      lazyConnect: false,
    }) as WithBucket;
    redis.defineCommand('takeToken', { numberOfKeys: 1, lua: TOKEN_BUCKET_LUA });
    // ioredis emits 'error' on every failed reconnect; the counter and the throttled warning say it.
    redis.on('error', (e: Error) => this.warn('connection', e));
    this.redis = redis;
  }

  /** 0 when the request may go ahead, else the whole seconds to wait (Retry-After). */
  async take(supplier: string, perSecond: number): Promise<number> {
    const capacity = Math.max(1, perSecond);
    if (this.redis) {
      try {
        const waitMs = Number(await this.redis.takeToken(`${this.prefix}${supplier}`, perSecond, capacity));
        this.decisions.inc({ store: 'redis', outcome: waitMs > 0 ? 'throttled' : 'allowed' });
        return waitMs > 0 ? Math.max(1, Math.ceil(waitMs / 1000)) : 0;
      } catch (e) {
        this.errors.inc({ reason: /timed? ?out/i.test((e as Error).message) ? 'timeout' : 'unavailable' });
        this.warn('command', e as Error);
      }
    }
    const wait = await this.local.take(supplier, perSecond);
    this.decisions.inc({ store: 'local', outcome: wait > 0 ? 'throttled' : 'allowed' });
    return wait;
  }

  private warn(what: string, e: Error) {
    const now = Date.now();
    if (now - this.lastWarn < WARN_EVERY_MS) return;
    this.lastWarn = now;
    this.logger.warn('rate limiter: Redis unavailable, using the in-process bucket', { what, error: e.message });
  }

  async onApplicationShutdown() {
    if (!this.redis) return;
    this.redis.disconnect();
  }
}
