import { createHash } from 'node:crypto';
import { connect, headers as natsHeaders, nanos, NatsConnection } from 'nats';
import { DeliveryOutcome, DELIVERY_TIMEOUT_MS } from './delivery-outcome';

/** How long JetStream keeps the signals of a stream this service creates. */
const STREAM_MAX_AGE_DAYS = 7;

/** The name of the stream this service creates for a subject that no stream captures yet. */
export function streamNameFor(subject: string): string {
  const readable = subject
    .replace(/[^A-Za-z0-9_-]/g, '_')
    .toUpperCase()
    .slice(0, 48);
  return `IMMS_${readable}_${createHash('sha1').update(subject).digest('hex').slice(0, 8)}`;
}

/**
 * The `message` channel: publishes signals to NATS JetStream (NATS_URL). Connects on first use and
 * keeps reconnecting, so a broker that is down only fails (and retries) deliveries; the API keeps
 * working. A subject no stream captures gets a stream of its own. Each message carries
 * Nats-Msg-Id = <subscription>:<event-number>, so a redelivery after a lost ack is dropped by
 * JetStream's duplicate window instead of reaching consumers twice.
 */
export class NatsPublisher {
  private connection: Promise<NatsConnection> | null = null;
  private readonly streams = new Set<string>();

  constructor(private readonly url: string | null) {}

  get enabled(): boolean {
    return this.url !== null;
  }

  private connect(): Promise<NatsConnection> {
    if (this.url === null) return Promise.reject(new Error('NATS_URL is not set'));
    if (!this.connection) {
      const attempt = connect({
        servers: this.url,
        name: 'immunisation-fhir-api',
        timeout: 2000,
        reconnect: true,
        maxReconnectAttempts: -1,
      });
      this.connection = attempt;
      attempt.then(
        (nc) =>
          nc.closed().then(() => {
            if (this.connection === attempt) this.connection = null;
            this.streams.clear();
          }),
        () => {
          if (this.connection === attempt) this.connection = null;
        },
      );
    }
    return this.connection;
  }

  /** Makes sure some stream captures `subject`, creating one if none does. */
  async ensureStream(subject: string): Promise<void> {
    if (this.streams.has(subject)) return;
    const nc = await this.connect();
    const jsm = await nc.jetstreamManager({ timeout: DELIVERY_TIMEOUT_MS });
    try {
      await jsm.streams.find(subject);
    } catch {
      try {
        await jsm.streams.add({ name: streamNameFor(subject), subjects: [subject], max_age: nanos(STREAM_MAX_AGE_DAYS * 86_400_000) });
      } catch (e) {
        // Another instance may have created it between find and add.
        await jsm.streams.find(subject).catch(() => {
          throw e;
        });
      }
    }
    this.streams.add(subject);
  }

  async publish(subject: string, headers: [string, string][], contentType: string, body: string, msgId: string): Promise<DeliveryOutcome> {
    const started = performance.now();
    const done = (o: Omit<DeliveryOutcome, 'durationMs'>): DeliveryOutcome => ({
      ...o,
      durationMs: Math.round(performance.now() - started),
    });
    try {
      await this.ensureStream(subject);
      const nc = await this.connect();
      const h = natsHeaders();
      for (const [name, value] of headers) h.append(name, value);
      h.set('Content-Type', contentType);
      await nc.jetstream({ timeout: DELIVERY_TIMEOUT_MS }).publish(subject, Buffer.from(body), { msgID: msgId, headers: h });
      return done({ ok: true, statusCode: null, error: null, reason: null });
    } catch (e) {
      return done({ ok: false, statusCode: null, error: `NATS: ${(e as Error).message}`, reason: 'broker' });
    }
  }

  async close(): Promise<void> {
    const c = this.connection;
    this.connection = null;
    if (c) await c.then((nc) => nc.drain()).catch(() => undefined);
  }
}
