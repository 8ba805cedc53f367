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

/**
 * The same token bucket in Redis, shared by every instance that uses the same REDIS_URL and key
 * prefix. One atomic Lua script per request (EVALSHA, one round trip) reads, refills, takes and
 * writes the bucket, with Redis's own clock so instances with skewed clocks agree. Returns the
 * milliseconds to wait (0 = allowed).
 */
export const TOKEN_BUCKET_LUA = `
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1])
local at = tonumber(b[2])
if tokens == nil or at == nil then
  tokens = capacity
  at = now
end
if now > at then
  tokens = math.min(capacity, tokens + (now - at) / 1000 * rate)
  at = now
end
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) / rate * 1000)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(at))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + 1000)
return wait
`;
