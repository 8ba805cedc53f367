import { CircuitBreaker, CircuitOpen } from './circuit-breaker';

describe('CircuitBreaker', () => {
  let now = 0;
  const breaker = () => new CircuitBreaker(2, 1000, () => now);
  const fail = () => Promise.reject(new Error('down'));
  const ok = () => Promise.resolve('up');
  const always = () => true;

  it('opens after the threshold of consecutive failures, fails fast, then lets one trial through', async () => {
    now = 0;
    const b = breaker();
    await expect(b.call(fail, always)).rejects.toThrow('down');
    expect(b.state).toBe('closed');
    await expect(b.call(fail, always)).rejects.toThrow('down');
    expect(b.state).toBe('open');
    let called = false;
    await expect(b.call(async () => ((called = true), 'x'), always)).rejects.toBeInstanceOf(CircuitOpen);
    expect(called).toBe(false);
    now = 1000;
    expect(b.state).toBe('half-open');
    await expect(b.call(ok, always)).resolves.toBe('up');
    expect(b.state).toBe('closed');
  });

  it('re-opens when the half-open trial fails, and ignores errors that are not failures', async () => {
    now = 0;
    const b = breaker();
    await expect(b.call(fail, () => false)).rejects.toThrow();
    await expect(b.call(fail, () => false)).rejects.toThrow();
    expect(b.state).toBe('closed');
    await expect(b.call(fail, always)).rejects.toThrow();
    await expect(b.call(fail, always)).rejects.toThrow();
    now = 1500;
    await expect(b.call(fail, always)).rejects.toThrow('down');
    expect(b.state).toBe('open');
  });
});
