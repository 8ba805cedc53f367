import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { importPKCS8, KeyLike, SignJWT } from 'jose';
import { DirectoryUnavailable } from './patient-directory';

export interface PdsCredentials {
  tokenUrl: string;
  clientId: string;
  privateKeyFile: string;
  keyId: string;
}

/**
 * NHS API platform application-restricted access: a client assertion (RS512, kid, iss = sub =
 * client id, aud = token URL, unique jti, 5 minutes) exchanged for an access token, which is
 * reused until shortly before it expires.
 */
export class PdsAccessToken {
  private cached: { token: string; until: number } | null = null;
  private key: Promise<KeyLike> | null = null;

  constructor(
    private readonly c: PdsCredentials,
    private readonly timeoutMs: number,
  ) {}

  async get(): Promise<string> {
    if (this.cached && Date.now() < this.cached.until) return this.cached.token;
    this.key ??= importPKCS8(readFileSync(this.c.privateKeyFile, 'utf8'), 'RS512');
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS512', kid: this.c.keyId, typ: 'JWT' })
      .setIssuer(this.c.clientId)
      .setSubject(this.c.clientId)
      .setAudience(this.c.tokenUrl)
      .setJti(randomUUID())
      .setExpirationTime(Math.floor(Date.now() / 1000) + 300)
      .sign(await this.key);
    const res = await fetch(this.c.tokenUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!res.ok) throw new DirectoryUnavailable(`PDS token endpoint answered ${res.status}`);
    const body = (await res.json()) as { access_token?: unknown; expires_in?: unknown };
    if (typeof body.access_token !== 'string') throw new DirectoryUnavailable('PDS token endpoint sent no access_token');
    const ttl = Number(body.expires_in) > 0 ? Number(body.expires_in) : 300;
    this.cached = { token: body.access_token, until: Date.now() + Math.max(0, ttl - 30) * 1000 };
    return body.access_token;
  }

  /** The token was refused (401): forget it so the next call fetches a fresh one. */
  reset() {
    this.cached = null;
  }
}
