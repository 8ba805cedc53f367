import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { Database } from '../database/database';
import { MetricsService } from '../metrics/metrics.service';
import type { FailureReason } from './delivery/delivery-outcome';
import { OutboxStore } from './infrastructure/outbox.store';

// Long enough for the two gauges of one scrape to share a query, short enough never to show stale values.
const GAUGE_CACHE_MS = 100;

/** The notification relay's metrics, on the app's shared registry. */
@Injectable()
export class NotificationMetrics {
  readonly deliveries: Counter<'channel' | 'outcome'>;
  readonly failures: Counter<'channel' | 'reason'>;
  readonly duration: Histogram<'channel'>;
  readonly latency: Histogram<'channel'>;
  private snapshot: Promise<{ retryBacklog: number; oldestAgeSeconds: number }> | null = null;
  private snapshotAt = 0;

  constructor(metrics: MetricsService, db: Database, store: OutboxStore) {
    const registers = [metrics.registry];
    this.deliveries = new Counter({
      name: 'notification_deliveries_total',
      help: 'Notification delivery attempts by channel and outcome (delivered, failed)',
      labelNames: ['channel', 'outcome'] as const,
      registers,
    });
    this.failures = new Counter({
      name: 'notification_delivery_failures_total',
      help: 'Failed notification delivery attempts by channel and reason',
      labelNames: ['channel', 'reason'] as const,
      registers,
    });
    this.duration = new Histogram({
      name: 'notification_delivery_duration_seconds',
      help: 'Time one delivery attempt took',
      labelNames: ['channel'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.latency = new Histogram({
      name: 'notification_commit_to_delivery_seconds',
      help: 'Time from a change being recorded to its signal being accepted by the subscriber',
      labelNames: ['channel'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
    // Both gauges come from one query, run at scrape time.
    const read = () => {
      if (!this.snapshot || Date.now() - this.snapshotAt > GAUGE_CACHE_MS) {
        this.snapshotAt = Date.now();
        this.snapshot = store.backlog(db).catch(() => ({ retryBacklog: Number.NaN, oldestAgeSeconds: Number.NaN }));
      }
      return this.snapshot;
    };
    new Gauge({
      name: 'notification_retry_backlog',
      help: 'Changes not yet passed by subscriptions that are waiting to retry a failed delivery',
      registers,
      async collect() {
        this.set((await read()).retryBacklog);
      },
    });
    new Gauge({
      name: 'notification_oldest_undelivered_age_seconds',
      help: 'Age of the oldest change an active or failed subscription has not yet passed (0 when none)',
      registers,
      async collect() {
        this.set((await read()).oldestAgeSeconds);
      },
    });
  }

  delivered(channel: string, seconds: number, recordedAt: Date) {
    this.deliveries.inc({ channel, outcome: 'delivered' });
    this.duration.observe({ channel }, seconds);
    this.latency.observe({ channel }, Math.max(0, (Date.now() - recordedAt.getTime()) / 1000));
  }

  failed(channel: string, seconds: number, reason: FailureReason) {
    this.deliveries.inc({ channel, outcome: 'failed' });
    this.failures.inc({ channel, reason });
    this.duration.observe({ channel }, seconds);
  }
}
