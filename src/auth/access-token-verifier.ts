import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Errors } from '../fhir/operation-outcome';
import { ExternalJwks } from './external-jwks';
import type { Principal } from './principal';
import { ServerKeys } from './server-keys';
import { SupplierRegistry } from './supplier-registry';

/** Asymmetric algorithms only: never `none`, never HS* (which would let a public key act as a secret). */
export const ACCESS_TOKEN_ALGS = ['RS256', 'RS512', 'ES256'] as const;

/** Clock skew allowed on exp/nbf/iat, as for client assertions. */
export const ACCESS_TOKEN_CLOCK_SKEW_S = 30;
/** Longer bearer tokens are refused before any parsing (ours are about 800 characters). */
export const MAX_ACCESS_TOKEN_CHARS = 8192;

/** Verified tokens remembered (a supplier's systems reuse one token for its whole life). */
export const VERIFIED_TOKEN_CACHE_SIZE = 10_000;

type StrategyRun = Strategy & {
  success(user: unknown): void;
  fail(info: unknown): void;
  error(err: unknown): void;
};

/**
 * Verifies bearer access tokens with passport-jwt. The issuer decides the key: our own tokens
 * verify only with the server key, an external provider's only with its JWKS. The supplier is
 * found from the client-id claim through the suppliers file.
 *
 * The strategy is owned by this instance rather than registered on passport's process-wide
 * singleton, so two app instances in one process (tests, side-by-side relays) never swap keys.
 */
@Injectable()
export class AccessTokenVerifier {
  private readonly strategy: Strategy;
  /**
   * Token → its principal until the token's exp (without the clock-skew grace: a token in its grace
   * period is checked in full again). A signature check is ~0.1 ms of RSA per request, and clients
   * send the same token for its ten-minute life. Only tokens that passed every check are kept; the
   * oldest entry goes when full, so a flood of distinct valid tokens costs what it did before.
   */
  private readonly verified = new Map<string, { principal: Principal; expMs: number }>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    keys: ServerKeys,
    private readonly suppliers: SupplierRegistry,
  ) {
    const external = config.authJwksUri ? new ExternalJwks(config.authJwksUri) : null;
    const issuers = [config.publicBaseUrl, ...(config.authIssuer ? [config.authIssuer] : [])];
    this.strategy = new Strategy(
      {
        jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
        algorithms: [...ACCESS_TOKEN_ALGS],
        issuer: issuers,
        ignoreExpiration: false,
        jsonWebTokenOptions: { clockTolerance: ACCESS_TOKEN_CLOCK_SKEW_S },
        // passport-jwt's types say string|Buffer; jsonwebtoken takes a KeyObject (no PEM parse per request).
        secretOrKeyProvider: ((_req: Request, raw: string, done: (err: unknown, key?: unknown) => void) => {
          try {
            const { kid } = decodeProtectedHeader(raw);
            const { iss } = decodeJwt(raw);
            if (iss === config.publicBaseUrl) return done(null, kid === keys.kid ? keys.publicKey : undefined);
            if (external && iss === config.authIssuer && typeof kid === 'string') {
              external.key(kid).then(
                (k) => done(null, k),
                () => done(null, undefined),
              );
              return;
            }
            done(null, undefined);
          } catch {
            done(null, undefined);
          }
        }) as never,
      },
      (claims: Record<string, unknown>, done: (err: unknown, user?: unknown) => void) => done(null, this.principalOf(claims)),
    );
  }

  /** The caller, or a 401 FhirError saying why not. */
  verify(req: Request): Promise<Principal> {
    return new Promise((resolve, reject) => {
      // Exactly `Bearer <token>` (RFC 6750 b64token), and not longer than any token we would accept.
      const header = req.headers.authorization;
      if (typeof header === 'string' && (header.length > MAX_ACCESS_TOKEN_CHARS + 7 || !/^Bearer [A-Za-z0-9._~+/-]+=*$/i.test(header))) {
        return reject(Errors.unauthorized('The access token is not valid.'));
      }
      const raw = typeof header === 'string' ? header.slice(7) : null;
      const known = raw === null ? undefined : this.verified.get(raw);
      if (known) {
        if (Date.now() < known.expMs) return resolve(known.principal);
        this.verified.delete(raw!);
      }
      const run = Object.create(this.strategy) as StrategyRun;
      run.success = (principal) => {
        this.remember(raw, principal as Principal & { [EXP]?: number });
        resolve(principal as Principal);
      };
      run.fail = (info) => {
        const why = info instanceof Error ? info.message : String(info ?? '');
        reject(
          Errors.unauthorized(
            /expired/i.test(why)
              ? 'The access token has expired.'
              : /no auth token/i.test(why)
                ? 'An Authorization: Bearer access token is required.'
                : 'The access token is not valid.',
          ),
        );
      };
      run.error = () => reject(Errors.unauthorized('The access token is not valid.'));
      run.authenticate(req, {});
    });
  }

  private remember(raw: string | null, principal: Principal & { [EXP]?: number }) {
    const exp = principal[EXP];
    if (raw === null || exp === undefined) return;
    delete principal[EXP];
    if (this.verified.size >= VERIFIED_TOKEN_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(raw, { principal, expMs: exp * 1000 });
  }

  /** Called with verified claims; false makes the strategy fail (401). */
  private principalOf(claims: Record<string, unknown>): (Principal & { [EXP]?: number }) | false {
    const local = claims.iss === this.config.publicBaseUrl;
    // jsonwebtoken checks exp only when it is there: a token must say when it ends. Ours may not
    // live longer than ACCESS_TOKEN_TTL_SECONDS (+ skew), whatever key signed them.
    if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) return false;
    if (local) {
      const longest = this.config.accessTokenTtlSeconds + ACCESS_TOKEN_CLOCK_SKEW_S;
      const now = Date.now() / 1000;
      if (claims.exp - now > longest) return false;
      if (typeof claims.iat !== 'number' || claims.exp - claims.iat > longest) return false;
    }
    const audience = local ? this.config.publicBaseUrl : this.config.authAudience;
    if (audience !== null && !audienceMatches(claims.aud, audience)) return false;
    const clientId = claims[local ? 'client_id' : this.config.authSupplierClaim];
    if (typeof clientId !== 'string') return false;
    const supplier = this.suppliers.byClient(clientId);
    return supplier ? { clientId, supplier, [EXP]: claims.exp } : false;
  }
}

/** The verified token's exp, carried from principalOf to the cache (removed before anyone sees the principal). */
const EXP = Symbol('exp');

function audienceMatches(aud: unknown, expected: string): boolean {
  return Array.isArray(aud) ? aud.includes(expected) : aud === expected;
}
