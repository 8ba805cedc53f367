/**
 * Per-supplier token buckets (rateLimitPerSecond in the suppliers file; burst = one second's worth,
 * at least one request, so a rate below 1/s still lets a request through now and then).
 * In-process: with several instances each enforces the limit on its own share of traffic.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  /** Takes one token; returns 0 when allowed, else the seconds to wait before retrying. */
  take(key: string, perSecond: number, now = Date.now()): number {
    const capacity = Math.max(1, perSecond);
    const b = this.buckets.get(key) ?? { tokens: capacity, at: now };
    b.tokens = Math.min(capacity, b.tokens + ((now - b.at) / 1000) * perSecond);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / perSecond));
  }
}
