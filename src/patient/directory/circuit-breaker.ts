/**
 * A small circuit breaker: after `threshold` consecutive failures, calls fail fast for `openMs`;
 * then one trial call is let through (half-open) and its outcome closes or re-opens the circuit.
 * Keeps a PDS outage from tying up the inbox worker with timeouts.
 */
export class CircuitBreaker {
  private failures = 0;
  private openUntil = 0;
  private trialInFlight = false;

  constructor(
    private readonly threshold = 5,
    private readonly openMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): 'closed' | 'open' | 'half-open' {
    if (this.failures < this.threshold) return 'closed';
    return this.now() < this.openUntil ? 'open' : 'half-open';
  }

  async call<T>(fn: () => Promise<T>, isFailure: (e: unknown) => boolean): Promise<T> {
    const state = this.state;
    if (state === 'open' || (state === 'half-open' && this.trialInFlight)) throw new CircuitOpen();
    this.trialInFlight = state === 'half-open';
    try {
      const result = await fn();
      this.failures = 0;
      return result;
    } catch (e) {
      if (isFailure(e)) {
        this.failures++;
        if (this.failures >= this.threshold) this.openUntil = this.now() + this.openMs;
      }
      throw e;
    } finally {
      this.trialInFlight = false;
    }
  }
}

export class CircuitOpen extends Error {
  constructor() {
    super('circuit open: PDS failed repeatedly, not calling it for a while');
  }
}
