import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { ExternalJwks } from './external-jwks';
import type { Principal } from './principal';
import { ServerKeys } from './server-keys';
import { SupplierRegistry } from './supplier-registry';

/** Asymmetric algorithms only: never `none`, never HS* (which would let a public key act as a secret). */
export const ACCESS_TOKEN_ALGS = ['RS256', 'RS512', 'ES256'] as const;

/**
 * Verifies bearer access tokens. The issuer decides the key: our own tokens verify only with the
 * server key, an external provider's only with its JWKS. The supplier is found from the client id
 * claim through the suppliers file.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  private readonly external: ExternalJwks | null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    keys: ServerKeys,
    private readonly suppliers: SupplierRegistry,
  ) {
    const external = config.authJwksUri ? new ExternalJwks(config.authJwksUri) : null;
    const issuers = [config.publicBaseUrl, ...(config.authIssuer ? [config.authIssuer] : [])];
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      algorithms: [...ACCESS_TOKEN_ALGS],
      issuer: issuers,
      ignoreExpiration: false,
      passReqToCallback: false,
      // passport-jwt's types say string|Buffer, but jsonwebtoken takes a KeyObject (no PEM parse per request).
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
    });
    this.external = external;
  }

  /** Called with the verified claims; returning false makes passport answer 401. */
  validate(claims: Record<string, unknown>): Principal | false {
    const local = claims.iss === this.config.publicBaseUrl;
    const audience = local ? this.config.publicBaseUrl : this.config.authAudience;
    if (audience !== null && !audienceMatches(claims.aud, audience)) return false;
    const claimName = local ? 'client_id' : this.config.authSupplierClaim;
    const clientId = claims[claimName];
    if (typeof clientId !== 'string') return false;
    const supplier = this.suppliers.byClient(clientId);
    return supplier ? { clientId, supplier } : false;
  }
}

function audienceMatches(aud: unknown, expected: string): boolean {
  return Array.isArray(aud) ? aud.includes(expected) : aud === expected;
}
