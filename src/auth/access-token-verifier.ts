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
        // passport-jwt's types say string|Buffer; jsonwebtoken takes a KeyObject (no PEM parse per request).
        secretOrKeyProvider: ((_req: Request, raw: string, done: (err: unknown, key?: unknown) => void) => {
          try {
            const { kid } = decodeProtectedHeader(raw);
            const { iss } = decodeJwt(raw);
            if (iss === config.publicBaseUrl) return done(null, kid === keys.kid ? keys.publicKey : undefined);
            if (external && iss === config.authIssuer && typeof kid === 'string') {
              external.key(kid).then((k) => done(null, k), () => done(null, undefined));
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
      const run = Object.create(this.strategy) as StrategyRun;
      run.success = (principal) => resolve(principal as Principal);
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

  /** Called with verified claims; false makes the strategy fail (401). */
  private principalOf(claims: Record<string, unknown>): Principal | false {
    const local = claims.iss === this.config.publicBaseUrl;
    const audience = local ? this.config.publicBaseUrl : this.config.authAudience;
    if (audience !== null && !audienceMatches(claims.aud, audience)) return false;
    const clientId = claims[local ? 'client_id' : this.config.authSupplierClaim];
    if (typeof clientId !== 'string') return false;
    const supplier = this.suppliers.byClient(clientId);
    return supplier ? { clientId, supplier } : false;
  }
}

function audienceMatches(aud: unknown, expected: string): boolean {
  return Array.isArray(aud) ? aud.includes(expected) : aud === expected;
}
