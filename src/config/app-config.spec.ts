import { availableParallelism } from 'node:os';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig, PROJECT_ROOT } from './app-config';

const defaults = JSON.parse(readFileSync(join(PROJECT_ROOT, 'config', 'defaults.json'), 'utf8')) as Record<string, unknown>;
const settings = Object.keys(defaults).filter((k) => !k.startsWith('_'));

/** The error loadConfig throws for env, or fails the test if it does not throw. */
function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error(`loadConfig(${JSON.stringify(env)}) did not throw`);
}

describe('loadConfig', () => {
  it('gives every documented default when the environment is empty', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      databaseUrl: null,
      databasePoolSize: 10,
      publicBaseUrl: 'http://localhost:3000',
      suppliersFile: join(PROJECT_ROOT, 'config', 'suppliers.json'),
      maxBodyBytes: 1048576,
      searchMaxCount: 1000,
      authSigningKeyFile: null,
      authJwksUri: null,
      authIssuer: null,
      authAudience: null,
      authSupplierClaim: 'client_id',
      accessTokenTtlSeconds: 599,
      logLevel: 'info',
      subscriptionEndpointAllowlist: [],
      natsUrl: null,
      notificationRelayEnabled: true,
      idempotencyTtlHours: 24,
      httpHeadersTimeoutMs: 10000,
      httpRequestTimeoutMs: 30000,
      httpKeepAliveTimeoutMs: 5000,
      hstsMaxAgeSeconds: 0,
      corsAllowedOrigins: [],
    });
    expect(c.dataDir).toBe(join(process.cwd(), 'data'));
  });

  it('reads the environment over the defaults', () => {
    const c = loadConfig({
      PORT: '8080',
      PUBLIC_BASE_URL: 'https://imms.example.org/',
      DATABASE_URL: 'postgresql://app:pw@db:5432/imms',
      DATA_DIR: 'memory://',
      MAX_BODY_BYTES: '2048',
      LOG_LEVEL: 'warn',
      SUBSCRIPTION_ENDPOINT_ALLOWLIST: 'https://a.example, 10.0.0.0/8 ,',
      NOTIFICATION_RELAY_ENABLED: 'no',
      SUPPLIERS_FILE: '/etc/imms/suppliers.json',
    });
    expect(c).toMatchObject({
      port: 8080,
      publicBaseUrl: 'https://imms.example.org',
      databaseUrl: 'postgresql://app:pw@db:5432/imms',
      dataDir: 'memory://',
      maxBodyBytes: 2048,
      logLevel: 'warn',
      subscriptionEndpointAllowlist: ['https://a.example', '10.0.0.0/8'],
      notificationRelayEnabled: false,
      suppliersFile: '/etc/imms/suppliers.json',
    });
  });

  it('derives PUBLIC_BASE_URL from PORT when unset', () => {
    expect(loadConfig({ PORT: '4321' }).publicBaseUrl).toBe('http://localhost:4321');
  });

  it.each([
    ['PORT', { PORT: 'abc' }],
    ['PORT', { PORT: '70000' }],
    ['PORT', { PORT: '3000.5' }],
    ['MAX_BODY_BYTES', { MAX_BODY_BYTES: '-1' }],
    ['MAX_BODY_BYTES', { MAX_BODY_BYTES: '1e6' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://x' }],
    ['DATABASE_URL', { DATABASE_URL: 'not a url' }],
    ['DATABASE_POOL_SIZE', { DATABASE_POOL_SIZE: '0' }],
    ['PUBLIC_BASE_URL', { PUBLIC_BASE_URL: 'ftp://files.example' }],
    ['SEARCH_MAX_COUNT', { SEARCH_MAX_COUNT: 'all' }],
    ['ACCESS_TOKEN_TTL_SECONDS', { ACCESS_TOKEN_TTL_SECONDS: '5' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['NOTIFICATION_RELAY_ENABLED', { NOTIFICATION_RELAY_ENABLED: 'maybe' }],
    ['NATS_URL', { NATS_URL: 'http://nats:4222' }],
    ['AUTH_JWKS_URI', { AUTH_JWKS_URI: 'https://idp.example/jwks' }],
    ['AUTH_ISSUER', { AUTH_ISSUER: 'https://idp.example' }],
    ['AUTH_AUDIENCE', { AUTH_JWKS_URI: 'https://idp.example/jwks', AUTH_ISSUER: 'https://idp.example' }],
    ['NOTIFICATION_RETRY_MAX_MS', { NOTIFICATION_RETRY_BASE_MS: '5000', NOTIFICATION_RETRY_MAX_MS: '1000' }],
    ['IDEMPOTENCY_TTL_HOURS', { IDEMPOTENCY_TTL_HOURS: '0' }],
  ])('refuses a bad %s with a one-line ConfigError naming it', (name, env) => {
    const e = configError(env as Record<string, string>);
    expect(e.message).toContain(name);
    expect(e.message).not.toContain('\n');
  });

  it('quotes the bad value so the operator sees what was read', () => {
    expect(configError({ PORT: 'abc' }).message).toBe('PORT must be an integer from 0 to 65535 (got "abc")');
    expect(configError({ MAX_BODY_BYTES: '-1' }).message).toMatch(/^MAX_BODY_BYTES must be an integer .*\(got "-1"\)$/);
    expect(configError({ DATABASE_URL: 'mysql://x' }).message).toBe('DATABASE_URL must use postgres: or postgresql: (got "mysql:")');
  });

  it('reads WORKERS as auto (one per CPU) or a count from 1 to 64', () => {
    expect(loadConfig({ WORKERS: 'auto' }).workers).toBe(Math.min(64, availableParallelism()));
    expect(loadConfig({ WORKERS: '3' }).workers).toBe(3);
    for (const bad of ['0', '65', 'many', '1.5']) {
      expect(configError({ WORKERS: bad }).message).toBe(`WORKERS must be auto or an integer from 1 to 64 (got "${bad}")`);
    }
  });

  it('never echoes a database password', () => {
    const e = configError({ DATABASE_URL: 'postgres://app:s3cret@db:notaport/imms' });
    expect(e.message).toContain('DATABASE_URL');
    expect(e.message).not.toContain('s3cret');
  });

  it('accepts the external identity provider settings together', () => {
    const c = loadConfig({ AUTH_JWKS_URI: 'https://idp.example/jwks', AUTH_ISSUER: 'https://idp.example', AUTH_AUDIENCE: 'imms' });
    expect(c).toMatchObject({ authJwksUri: 'https://idp.example/jwks', authIssuer: 'https://idp.example', authAudience: 'imms' });
  });

  it('treats every setting in config/defaults.json as valid', () => {
    const asEnv = Object.fromEntries(settings.map((k) => [k, String(defaults[k])]));
    expect(() => loadConfig(asEnv)).not.toThrow();
  });

  it('documents every setting of config/defaults.json in a configuration table (README or docs/)', () => {
    const docs = join(PROJECT_ROOT, 'docs');
    const readme = [
      join(PROJECT_ROOT, 'README.md'),
      ...(existsSync(docs)
        ? readdirSync(docs)
            .filter((f) => f.endsWith('.md'))
            .map((f) => join(docs, f))
        : []),
    ]
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    const undocumented = settings.filter((k) => !new RegExp(`^\\|\\s*\`${k}\`\\s*\\|`, 'm').test(readme));
    expect(undocumented).toEqual([]);
  });
});

describe('loadConfig: HTTP limits and browser settings (issue 14)', () => {
  it('reads timeouts, HSTS and the CORS allow-list', () => {
    expect(
      loadConfig({
        HTTP_HEADERS_TIMEOUT_MS: '2000',
        HTTP_REQUEST_TIMEOUT_MS: '4000',
        HSTS_MAX_AGE_SECONDS: '31536000',
        CORS_ALLOWED_ORIGINS: 'https://a.example/, https://b.example',
      }),
    ).toMatchObject({
      httpHeadersTimeoutMs: 2000,
      httpRequestTimeoutMs: 4000,
      hstsMaxAgeSeconds: 31536000,
      corsAllowedOrigins: ['https://a.example', 'https://b.example'],
    });
  });
  it('refuses a request timeout shorter than the headers timeout', () => {
    expect(() => loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '5000', HTTP_REQUEST_TIMEOUT_MS: '1000' })).toThrow(/HTTP_REQUEST_TIMEOUT_MS/);
  });
});
