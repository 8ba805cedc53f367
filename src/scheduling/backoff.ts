/**
 * Exponential backoff with full jitter: the n-th consecutive failure (n >= 1) waits a uniformly
 * random time in [0, min(max, base * 2^(n-1))]. Spreads the retries of many failing subscriptions
 * instead of letting them hammer a recovering receiver in lock-step.
 */
export function retryDelayMs(failures: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(failures - 1, 0), 40));
  return Math.floor(random() * ceiling);
}
