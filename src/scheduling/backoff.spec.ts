import { retryDelayMs } from './backoff';

describe('retryDelayMs (exponential backoff, full jitter)', () => {
  it('draws from [0, min(max, base * 2^(n-1))]', () => {
    expect(retryDelayMs(1, 1000, 300_000, () => 0.999)).toBe(999);
    expect(retryDelayMs(4, 1000, 300_000, () => 0.999)).toBe(7992);
    expect(retryDelayMs(30, 1000, 300_000, () => 0.999)).toBe(299_700);
    expect(retryDelayMs(3, 1000, 300_000, () => 0)).toBe(0);
    for (let n = 1; n < 50; n++) {
      const d = retryDelayMs(n, 1000, 300_000);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(Math.min(300_000, 1000 * 2 ** (n - 1)));
    }
  });
});
