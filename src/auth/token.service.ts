import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Database } from '../database/database';
import { Errors, FhirError } from '../fhir/operation-outcome';
import { ACCESS_TOKEN_ALG, ServerKeys } from './server-keys';
import { SupplierRegistry } from './supplier-registry';
import type { TokenRequestDto } from './token-request.dto';

export const CLIENT_ASSERTION_ALGS = ['RS512', 'RS256', 'ES256'];
export { CLIENT_ASSERTION_TYPE } from './token-request.dto';
const MAX_ASSERTION_LIFETIME_S = 300;
/** Longest accepted assertion `jti` (UUIDs are 36; RFC 7519 sets no limit). */
const MAX_JTI_CHARS = 255;
const CLOCK_SKEW_S = 30;
/** Longer assertions are refused before any decoding (an RS512 assertion is about 700 characters). */
export const MAX_ASSERTION_CHARS = 8192;

export interface AccessTokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

/** Issues access tokens: for a verified client assertion (POST /oauth2/token) or for the token CLI. */
@Injectable()
export class TokenService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: ServerKeys,
    private readonly suppliers: SupplierRegistry,
    private readonly db: Database,
  ) {}

  get tokenUrl(): string {
    return `${this.config.publicBaseUrl}/oauth2/token`;
  }

  /** The client-credentials grant with a signed JWT assertion (RFC 7523), as on the NHS API platform. */
  async exchange(request: TokenRequestDto, verified?: (clientId: string) => void): Promise<AccessTokenResponse> {
    // The form's fields were checked by TokenRequestDto (grant type, assertion type, JWT shape).
    const clientId = await this.verifyAssertion(request.client_assertion);
    verified?.(clientId);
    return this.issue(clientId);
  }

  private async verifyAssertion(assertion: string): Promise<string> {
    const refuse = (why: string) => Errors.unauthorized(`The client assertion was refused: ${why}.`);
    if (assertion.length > MAX_ASSERTION_CHARS) throw Errors.invalid(`client_assertion is longer than ${MAX_ASSERTION_CHARS} characters.`);
    let header: ReturnType<typeof decodeProtectedHeader>;
    let claims: ReturnType<typeof decodeJwt>;
    try {
      header = decodeProtectedHeader(assertion);
      claims = decodeJwt(assertion);
    } catch {
      throw Errors.invalid('client_assertion is not a JWT.');
    }
    if (typeof header.alg !== 'string' || !CLIENT_ASSERTION_ALGS.includes(header.alg)) {
      throw refuse(`alg must be one of ${CLIENT_ASSERTION_ALGS.join(', ')}`);
    }
    if (typeof header.kid !== 'string' || !header.kid) throw refuse('the header has no kid');
    if (typeof claims.iss !== 'string' || claims.iss !== claims.sub) throw refuse('iss and sub must both be the client id');
    const client = this.suppliers.client(claims.iss);
    if (!client) throw refuse('unknown client');
    let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
    try {
      ({ payload } = await jwtVerify(assertion, createLocalJWKSet(client.jwks), {
        algorithms: CLIENT_ASSERTION_ALGS,
        audience: this.tokenUrl,
        issuer: client.clientId,
        subject: client.clientId,
        requiredClaims: ['exp', 'jti'],
        clockTolerance: CLOCK_SKEW_S,
      }));
    } catch (e) {
      throw refuse(describeJoseError(e));
    }
    const now = Math.floor(Date.now() / 1000);
    const exp = payload.exp as number;
    if (exp > now + MAX_ASSERTION_LIFETIME_S + CLOCK_SKEW_S) throw refuse('exp must be at most 5 minutes ahead');
    if (typeof payload.jti !== 'string' || !payload.jti) throw refuse('jti must be a non-empty string');
    // eslint-disable-next-line no-control-regex
    if (payload.jti.length > MAX_JTI_CHARS || /[\u0000-\u001f\u007f]/.test(payload.jti)) {
      throw refuse(`jti must be at most ${MAX_JTI_CHARS} printable characters`);
    }
    const { rows } = await this.db.query<{ jti: string }>(
      `INSERT INTO oauth_used_jti (client_id, jti, expires_at) VALUES ($1, $2, to_timestamp($3))
       ON CONFLICT DO NOTHING RETURNING jti`,
      [client.clientId, payload.jti, exp + CLOCK_SKEW_S],
    );
    if (rows.length === 0) throw refuse('this jti has been used before');
    // Forget expired jtis now and then; they can no longer be replayed anyway.
    if (Math.random() < 0.01) await this.db.query('DELETE FROM oauth_used_jti WHERE expires_at < now()');
    return client.clientId;
  }

  /** A signed access token for a registered client (also used by `npm run token`). */
  async issue(clientId: string): Promise<AccessTokenResponse> {
    const ttl = this.config.accessTokenTtlSeconds;
    const token = await new SignJWT({ client_id: clientId })
      .setProtectedHeader({ alg: ACCESS_TOKEN_ALG, kid: this.keys.kid, typ: 'JWT' })
      .setIssuer(this.config.publicBaseUrl)
      .setAudience(this.config.publicBaseUrl)
      .setSubject(clientId)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttl)
      .setJti(randomUUID())
      .sign(this.keys.privateKey);
    return { access_token: token, token_type: 'Bearer', expires_in: ttl };
  }
}

function describeJoseError(e: unknown): string {
  if (e instanceof joseErrors.JWTExpired) return 'it has expired';
  if (e instanceof joseErrors.JWTClaimValidationFailed) return `claim ${e.claim} is not valid (${e.reason})`;
  if (e instanceof joseErrors.JWKSNoMatchingKey) return 'no registered key matches its kid';
  if (e instanceof joseErrors.JOSEAlgNotAllowed) return 'its alg is not allowed';
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return 'the signature does not verify';
  if (e instanceof FhirError) throw e;
  return 'it could not be verified';
}
