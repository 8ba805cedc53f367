import { createPublicKey, KeyObject } from 'node:crypto';

const REFRESH_MS = 10 * 60 * 1000;
const MIN_REFETCH_MS = 30 * 1000;

/**
 * Public keys of an external identity provider (AUTH_JWKS_URI), cached and refreshed every ten
 * minutes, or sooner (rate-limited) when a token names a kid we have not seen: key rotation works
 * without a restart and an attacker cannot make us hammer the provider.
 */
export class ExternalJwks {
  private keys = new Map<string, KeyObject>();
  private fetchedAt = 0;
  private inflight: Promise<void> | null = null;

  constructor(private readonly uri: string) {}

  async key(kid: string): Promise<KeyObject | undefined> {
    const age = Date.now() - this.fetchedAt;
    if (age > REFRESH_MS || (!this.keys.has(kid) && age > MIN_REFETCH_MS)) await this.refresh();
    return this.keys.get(kid);
  }

  private refresh(): Promise<void> {
    this.inflight ??= (async () => {
      try {
        const res = await fetch(this.uri, { signal: AbortSignal.timeout(5000) });
        if (!res.ok) throw new Error(`JWKS ${res.status}`);
        const body = (await res.json()) as { keys?: Array<Record<string, unknown>> };
        const next = new Map<string, KeyObject>();
        for (const jwk of body.keys ?? []) {
          if (typeof jwk.kid !== 'string') continue;
          try {
            next.set(jwk.kid, createPublicKey({ key: jwk as never, format: 'jwk' }));
          } catch {
            /* skip keys we cannot use */
          }
        }
        this.keys = next;
      } finally {
        this.fetchedAt = Date.now();
        this.inflight = null;
      }
    })();
    return this.inflight;
  }
}
