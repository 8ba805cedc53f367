// Over 250 lines on purpose: every setting, its default and its check in one file, read top to bottom beside the config table in docs.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/** The project root: src/ and dist/ sit at the same depth below it. */
export const PROJECT_ROOT = resolve(__dirname, '..', '..');
export const FHIR_BASE_PATH = '/immunisation-fhir-api/FHIR/R4';

/** The absolute FHIR base (PUBLIC_BASE_URL + base path) used in Location, fullUrl, links and focus URLs. */
export const fhirBaseUrl = (config: Pick<AppConfig, 'publicBaseUrl'>) => `${config.publicBaseUrl}${FHIR_BASE_PATH}`;

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface AppConfig {
  port: number;
  /** HTTP worker processes sharing the port (node:cluster); 1 = no cluster. PGlite forces 1 (main.ts). */
  workers: number;
  host: string;
  dataDir: string;
  /** PostgreSQL URL; null selects the embedded PGlite database under dataDir. */
  databaseUrl: string | null;
  databasePoolSize: number;
  /** Connect, and wait for a free pool connection, at most this long (ms). */
  databaseConnectTimeoutMs: number;
  /** statement_timeout of every session (ms, 0 = none); the client gives up 1 s after it (frozen server). */
  databaseStatementTimeoutMs: number;
  /** lock_timeout of every session (ms, 0 = none). */
  databaseLockTimeoutMs: number;
  /** At start-up, retry an unreachable database this long before giving up (s, 0 = try once). */
  databaseStartupRetrySeconds: number;
  /** A PGlite data-dir dump a new embedded database starts from instead of running initdb. */
  pgliteTemplate: string | null;
  publicBaseUrl: string;
  suppliersFile: string;
  maxBodyBytes: number;
  searchMaxCount: number;
  authSigningKeyFile: string | null;
  authJwksUri: string | null;
  authIssuer: string | null;
  authAudience: string | null;
  authSupplierClaim: string;
  accessTokenTtlSeconds: number;
  logLevel: LogLevel;
  subscriptionEndpointAllowlist: string[];
  natsUrl: string | null;
  notificationRelayEnabled: boolean;
  notificationRetryBaseMs: number;
  notificationRetryMaxMs: number;
  notificationMaxAttempts: number;
  notificationPollMs: number;
  idempotencyTtlHours: number;
  /** Redis for rate limits shared by every instance; null keeps them in-process. */
  redisUrl: string | null;
  rateLimitRedisPrefix: string;
  auditFlushMs: number;
  auditBatchSize: number;
  /** HTTP server limits (docs/limits-and-hardening.md). */
  httpHeadersTimeoutMs: number;
  httpRequestTimeoutMs: number;
  httpKeepAliveTimeoutMs: number;
  /** Strict-Transport-Security max-age; 0 sends no HSTS header (set it when served over https). */
  hstsMaxAgeSeconds: number;
  /** Origins allowed to call from a browser (CORS); empty: CORS off, no Access-Control-* headers. */
  corsAllowedOrigins: string[];
  /** Patient module (docs/patient-merges.md). */
  pdsBaseUrl: string | null;
  pdsTokenUrl: string | null;
  pdsClientId: string | null;
  pdsPrivateKeyFile: string | null;
  pdsKeyId: string | null;
  pdsTimeoutMs: number;
  mnsInboundApiKey: string | null;
  mnsInboxPollMs: number;
  mnsInboxLeaseMs: number;
  patientRegisterRefreshMs: number;
  /** Batch channel (docs/batch.md). */
  batch: {
    workerEnabled: boolean;
    workers: number;
    lanes: number;
    chunkRows: number;
    pollMs: number;
    leaseMs: number;
    maxFileBytes: number;
    inboxDir: string | null;
    ackDir: string | null;
    inboxPollMs: number;
    inboxReclaimMs: number;
    progressLogMs: number;
    deltaMaxCount: number;
  };
}

/** A bad setting: the message is one line that names the variable. */
export class ConfigError extends Error {}

type Raw = Record<string, string | number | boolean | undefined>;

function defaults(): Raw {
  const file = join(PROJECT_ROOT, 'config', 'defaults.json');
  return JSON.parse(readFileSync(file, 'utf8')) as Raw;
}

class Reader {
  constructor(
    private readonly env: Raw,
    private readonly base: Raw,
  ) {}

  private raw(name: string): string {
    const v = this.env[name] ?? this.base[name];
    return v === undefined || v === null ? '' : String(v).trim();
  }

  string(name: string): string {
    return this.raw(name);
  }

  optional(name: string): string | null {
    const v = this.raw(name);
    return v === '' ? null : v;
  }

  int(name: string, min: number, max: number): number {
    const v = this.raw(name);
    const n = Number(v);
    if (!/^-?\d+$/.test(v) || n < min || n > max) {
      throw new ConfigError(`${name} must be an integer from ${min} to ${max} (got "${v}")`);
    }
    return n;
  }

  bool(name: string): boolean {
    const v = this.raw(name).toLowerCase();
    if (['true', '1', 'yes'].includes(v)) return true;
    if (['false', '0', 'no'].includes(v)) return false;
    throw new ConfigError(`${name} must be true or false (got "${v}")`);
  }

  url(name: string, protocols: string[]): string | null {
    const v = this.optional(name);
    if (v === null) return null;
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      throw new ConfigError(`${name} must be a URL (got "${redact(v)}")`);
    }
    if (!protocols.includes(u.protocol)) {
      throw new ConfigError(`${name} must use ${protocols.join(' or ')} (got "${u.protocol}")`);
    }
    return v;
  }

  oneOf<T extends string>(name: string, values: readonly T[]): T {
    const v = this.raw(name) as T;
    if (!values.includes(v)) throw new ConfigError(`${name} must be one of ${values.join(', ')} (got "${v}")`);
    return v;
  }
}

/** Never echo a password back into a log line. */
export function redact(v: string): string {
  return v.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@').replace(/([?&]password=)[^&]*/i, '$1***');
}

/**
 * Builds the validated configuration from environment variables over config/defaults.json.
 * Throws ConfigError (one line naming the variable) on the first bad value.
 */
export function loadConfig(env: Raw = process.env): AppConfig {
  const r = new Reader(env, defaults());
  const port = r.int('PORT', 0, 65535);
  const publicBaseUrl = (r.url('PUBLIC_BASE_URL', ['http:', 'https:']) ?? `http://localhost:${port}`).replace(/\/+$/, '');
  const fromRoot = (p: string) => (isAbsolute(p) ? p : join(PROJECT_ROOT, p));
  // DATA_DIR=memory:// keeps everything in memory (tests, throw-away demos): nothing survives a restart.
  const dataDir = r.string('DATA_DIR') || './data';
  const signingKey = r.optional('AUTH_SIGNING_KEY_FILE');
  const jwksUri = r.url('AUTH_JWKS_URI', ['http:', 'https:']);
  const issuer = r.optional('AUTH_ISSUER');
  if ((jwksUri === null) !== (issuer === null)) {
    throw new ConfigError('AUTH_JWKS_URI and AUTH_ISSUER must be set together');
  }
  // Without an audience, a token the same provider issued for any other service would open this one.
  if (jwksUri !== null && r.optional('AUTH_AUDIENCE') === null) {
    throw new ConfigError('AUTH_AUDIENCE must be set with AUTH_JWKS_URI: tokens of the provider are accepted only for this audience');
  }
  const headersTimeout = r.int('HTTP_HEADERS_TIMEOUT_MS', 100, 600_000);
  const requestTimeout = r.int('HTTP_REQUEST_TIMEOUT_MS', 100, 3_600_000);
  if (requestTimeout < headersTimeout) throw new ConfigError('HTTP_REQUEST_TIMEOUT_MS must not be below HTTP_HEADERS_TIMEOUT_MS');
  const retryBase = r.int('NOTIFICATION_RETRY_BASE_MS', 1, 3_600_000);
  const retryMax = r.int('NOTIFICATION_RETRY_MAX_MS', 1, 86_400_000);
  if (retryMax < retryBase) throw new ConfigError('NOTIFICATION_RETRY_MAX_MS must not be below NOTIFICATION_RETRY_BASE_MS');
  const pdsAuth = ['PDS_TOKEN_URL', 'PDS_CLIENT_ID', 'PDS_PRIVATE_KEY_FILE', 'PDS_KEY_ID'].map((n) => r.optional(n));
  if (pdsAuth.some((v) => v !== null) && pdsAuth.some((v) => v === null)) {
    throw new ConfigError('PDS_TOKEN_URL, PDS_CLIENT_ID, PDS_PRIVATE_KEY_FILE and PDS_KEY_ID must be set together');
  }
  const pdsKeyFile = r.optional('PDS_PRIVATE_KEY_FILE');
  // WORKERS=auto (the default): one per CPU the process may use.
  const workersRaw = r.string('WORKERS').toLowerCase();
  if (workersRaw !== 'auto' && !(/^\d+$/.test(workersRaw) && +workersRaw >= 1 && +workersRaw <= 64)) {
    throw new ConfigError(`WORKERS must be auto or an integer from 1 to 64 (got "${workersRaw}")`);
  }
  const workers = workersRaw === 'auto' ? Math.min(64, availableParallelism()) : Number(workersRaw);
  return {
    port,
    workers,
    host: r.string('HOST') || '0.0.0.0',
    dataDir: dataDir === 'memory://' || isAbsolute(dataDir) ? dataDir : resolve(process.cwd(), dataDir),
    databaseUrl: r.url('DATABASE_URL', ['postgres:', 'postgresql:']),
    databasePoolSize: r.int('DATABASE_POOL_SIZE', 1, 200),
    databaseConnectTimeoutMs: r.int('DATABASE_CONNECT_TIMEOUT_MS', 100, 600_000),
    databaseStatementTimeoutMs: r.int('DATABASE_STATEMENT_TIMEOUT_MS', 0, 3_600_000),
    databaseLockTimeoutMs: r.int('DATABASE_LOCK_TIMEOUT_MS', 0, 3_600_000),
    databaseStartupRetrySeconds: r.int('DATABASE_STARTUP_RETRY_SECONDS', 0, 3600),
    pgliteTemplate: r.optional('PGLITE_TEMPLATE'),
    publicBaseUrl,
    suppliersFile: fromRoot(r.string('SUPPLIERS_FILE') || 'config/suppliers.json'),
    maxBodyBytes: r.int('MAX_BODY_BYTES', 1024, 64 * 1024 * 1024),
    searchMaxCount: r.int('SEARCH_MAX_COUNT', 1, 100_000),
    authSigningKeyFile: signingKey === null ? null : fromRoot(signingKey),
    authJwksUri: jwksUri,
    authIssuer: issuer,
    authAudience: r.optional('AUTH_AUDIENCE'),
    authSupplierClaim: r.string('AUTH_SUPPLIER_CLAIM') || 'client_id',
    accessTokenTtlSeconds: r.int('ACCESS_TOKEN_TTL_SECONDS', 60, 86_400),
    logLevel: r.oneOf('LOG_LEVEL', ['debug', 'info', 'warn', 'error', 'silent'] as const),
    subscriptionEndpointAllowlist: r
      .string('SUBSCRIPTION_ENDPOINT_ALLOWLIST')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    natsUrl: r.url('NATS_URL', ['nats:', 'tls:', 'ws:', 'wss:']),
    notificationRelayEnabled: r.bool('NOTIFICATION_RELAY_ENABLED'),
    notificationRetryBaseMs: retryBase,
    notificationRetryMaxMs: retryMax,
    notificationMaxAttempts: r.int('NOTIFICATION_MAX_ATTEMPTS', 1, 1000),
    notificationPollMs: r.int('NOTIFICATION_POLL_MS', 10, 600_000),
    idempotencyTtlHours: r.int('IDEMPOTENCY_TTL_HOURS', 1, 24 * 30),
    redisUrl: r.url('REDIS_URL', ['redis:', 'rediss:']),
    rateLimitRedisPrefix: r.string('RATE_LIMIT_REDIS_PREFIX') || 'imms:ratelimit:',
    auditFlushMs: r.int('AUDIT_FLUSH_MS', 10, 10_000),
    auditBatchSize: r.int('AUDIT_BATCH_SIZE', 1, 5000),
    httpHeadersTimeoutMs: headersTimeout,
    httpRequestTimeoutMs: requestTimeout,
    httpKeepAliveTimeoutMs: r.int('HTTP_KEEP_ALIVE_TIMEOUT_MS', 100, 600_000),
    hstsMaxAgeSeconds: r.int('HSTS_MAX_AGE_SECONDS', 0, 63_072_000),
    corsAllowedOrigins: r
      .string('CORS_ALLOWED_ORIGINS')
      .split(',')
      .map((s) => s.trim().replace(/\/+$/, ''))
      .filter(Boolean),
    pdsBaseUrl: r.url('PDS_BASE_URL', ['http:', 'https:'])?.replace(/\/+$/, '') ?? null,
    pdsTokenUrl: r.url('PDS_TOKEN_URL', ['http:', 'https:']),
    pdsClientId: r.optional('PDS_CLIENT_ID'),
    pdsPrivateKeyFile: pdsKeyFile === null ? null : fromRoot(pdsKeyFile),
    pdsKeyId: r.optional('PDS_KEY_ID'),
    pdsTimeoutMs: r.int('PDS_TIMEOUT_MS', 100, 120_000),
    mnsInboundApiKey: r.optional('MNS_INBOUND_API_KEY'),
    mnsInboxPollMs: r.int('MNS_INBOX_POLL_MS', 10, 600_000),
    mnsInboxLeaseMs: r.int('MNS_INBOX_LEASE_MS', 100, 3_600_000),
    patientRegisterRefreshMs: r.int('PATIENT_REGISTER_REFRESH_MS', 100, 3_600_000),
    batch: {
      workerEnabled: r.bool('BATCH_WORKER_ENABLED'),
      workers: r.int('BATCH_WORKERS', 1, 16),
      lanes: r.int('BATCH_LANES', 1, 32),
      chunkRows: r.int('BATCH_CHUNK_ROWS', 1, 5000),
      pollMs: r.int('BATCH_POLL_MS', 10, 600_000),
      leaseMs: r.int('BATCH_LEASE_MS', 1000, 3_600_000),
      maxFileBytes: r.int('BATCH_MAX_FILE_BYTES', 1024, 2 ** 40),
      inboxDir: r.optional('BATCH_INBOX_DIR') && fromRoot(r.optional('BATCH_INBOX_DIR')!),
      ackDir: r.optional('BATCH_ACK_DIR') && fromRoot(r.optional('BATCH_ACK_DIR')!),
      inboxPollMs: r.int('BATCH_INBOX_POLL_MS', 50, 600_000),
      inboxReclaimMs: r.int('BATCH_INBOX_RECLAIM_MS', 1000, 86_400_000),
      progressLogMs: r.int('BATCH_PROGRESS_LOG_MS', 100, 3_600_000),
      deltaMaxCount: r.int('BATCH_DELTA_MAX_COUNT', 1, 100_000),
    },
  };
}

/** Injection token for the AppConfig object. */
export const APP_CONFIG = Symbol('APP_CONFIG');
