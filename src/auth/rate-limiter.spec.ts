import { RateLimiter } from './rate-limiter';

describe('RateLimiter (per-supplier token bucket)', () => {
  it('allows a burst of one second’s worth, then asks to wait', () => {
    const r = new RateLimiter();
    const t = 1_000_000;
    expect([r.take('A', 2, t), r.take('A', 2, t)]).toEqual([0, 0]);
    expect(r.take('A', 2, t)).toBe(1);
  });

  it('refills at the configured rate', () => {
    const r = new RateLimiter();
    const t = 1_000_000;
    for (let i = 0; i < 5; i++) expect(r.take('A', 5, t)).toBe(0);
    expect(r.take('A', 5, t)).toBeGreaterThan(0);
    expect(r.take('A', 5, t + 100)).toBeGreaterThan(0); // 0.5 token after a refused take
    expect(r.take('A', 5, t + 250)).toBe(0); // 1.25 tokens
    expect(r.take('A', 5, t + 250)).toBeGreaterThan(0);
  });

  it('never stores more than one second’s worth', () => {
    const r = new RateLimiter();
    r.take('A', 3, 0);
    const later = 3_600_000;
    expect([r.take('A', 3, later), r.take('A', 3, later), r.take('A', 3, later)]).toEqual([0, 0, 0]);
    expect(r.take('A', 3, later)).toBeGreaterThan(0);
  });

  it('keeps suppliers apart', () => {
    const r = new RateLimiter();
    expect(r.take('A', 1, 0)).toBe(0);
    expect(r.take('A', 1, 0)).toBe(1);
    expect(r.take('B', 1, 0)).toBe(0);
  });

  it('lets a rate below one per second through now and then, with whole seconds to wait', () => {
    const r = new RateLimiter();
    expect(r.take('slow', 0.25, 0)).toBe(0);
    expect(r.take('slow', 0.25, 0)).toBe(4);
    expect(r.take('slow', 0.25, 2000)).toBe(2);
    expect(r.take('slow', 0.25, 4000)).toBe(0);
    expect(r.take('slow', 0.25, 4000)).toBe(4);
  });
});
