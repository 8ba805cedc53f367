import cluster, { type Worker } from 'node:cluster';
import { RateLimiter } from './rate-limiter';

/** IPC message kind of a rate-limit question from a worker and its answer from the primary. */
const KIND = 'imms:rate-limit';

interface Take {
  kind: typeof KIND;
  id: number;
  key: string;
  perSecond: number;
}
interface Answer {
  kind: typeof KIND;
  id: number;
  wait: number;
}

const isTake = (m: unknown): m is Take => (m as Take | null)?.kind === KIND && typeof (m as Take).key === 'string';
const isAnswer = (m: unknown): m is Answer => (m as Answer | null)?.kind === KIND && typeof (m as Answer).wait === 'number';

/**
 * Primary side of the cluster: one set of token buckets answers every worker, so a supplier's limit
 * is the configured total whichever worker its connections land on (without Redis).
 */
export function answerRateLimits(worker: Worker, buckets: RateLimiter) {
  worker.on('message', (m: unknown) => {
    if (!isTake(m) || !worker.isConnected()) return;
    worker.send({ kind: KIND, id: m.id, wait: buckets.take(m.key, m.perSecond) } satisfies Answer);
  });
}

/** The in-process bucket an instance decides with when Redis is not configured or not answering. */
export interface LocalBuckets {
  take(key: string, perSecond: number): number | Promise<number>;
}

/**
 * Worker side: asks the primary's buckets (one IPC round trip, ~0.1 ms). Chosen over splitting the
 * limit N ways because a supplier's keep-alive connections need not spread evenly over workers:
 * with one connection, a split would cut its limit to 1/N. If the primary has gone (the worker is
 * about to stop), the worker's own bucket decides.
 */
export class PrimaryBuckets implements LocalBuckets {
  private readonly own = new RateLimiter();
  private readonly pending = new Map<number, { resolve: (wait: number) => void; key: string; perSecond: number }>();
  private next = 0;

  constructor() {
    process.on('message', (m: unknown) => {
      if (!isAnswer(m)) return;
      this.pending.get(m.id)?.resolve(m.wait);
      this.pending.delete(m.id);
    });
    process.on('disconnect', () => {
      for (const q of this.pending.values()) q.resolve(this.own.take(q.key, q.perSecond));
      this.pending.clear();
    });
  }

  take(key: string, perSecond: number): number | Promise<number> {
    if (!process.send || !process.connected) return this.own.take(key, perSecond);
    const id = ++this.next;
    return new Promise<number>((resolve) => {
      this.pending.set(id, { resolve, key, perSecond });
      process.send!({ kind: KIND, id, key, perSecond } satisfies Take);
    });
  }
}

/** The buckets this process decides with: the primary's in a cluster worker, else its own. */
export const localBuckets = (): LocalBuckets => (cluster.isWorker ? new PrimaryBuckets() : new RateLimiter());
