import { detachedKeyPair } from '../../src/auth/detached-key-pair';
import { KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import supertest from 'supertest';
import { AppModule } from '../../src/app.module';
import { TokenService } from '../../src/auth/token.service';
import { configureApp } from '../../src/bootstrap';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { JsonLogger } from '../../src/logging/json-logger';
import { freePort, writeSuppliersFile } from './server-process';
import { createDatabase, onPostgres } from './test-database';

export { onPostgres, TEST_PG_URL } from './test-database';

export interface LogEntry {
  level: string;
  msg: string;
  [field: string]: unknown;
}

/** Keeps log lines in memory for assertions instead of printing them. */
export class CapturingLogger extends JsonLogger {
  readonly entries: LogEntry[] = [];
  constructor() {
    super('debug');
  }
  protected write(level: 'debug' | 'info' | 'warn' | 'error', msg: unknown, fields?: Record<string, unknown>) {
    this.entries.push({ level, msg: String(msg), ...(fields ?? {}) });
    if (level === 'error' && process.env.TEST_SHOW_ERRORS) process.stderr.write(JSON.stringify({ msg, ...fields }) + '\n');
  }
}

export interface TestSupplier {
  name: string;
  permissions: string[];
  clientId: string;
  rateLimitPerSecond?: number;
  /** Batch files: the ODS codes this supplier sends for. */
  odsCodes?: string[];
  roles?: string[];
  /** Key pair whose public half is registered for the client (RSA by default). */
  keys: { kid: string; alg: 'RS512' | 'RS256' | 'ES256'; privateKey: KeyObject; publicKey: KeyObject }[];
}

function keyPair(kid: string, alg: 'RS512' | 'RS256' | 'ES256') {
  const kp = detachedKeyPair(alg === 'ES256' ? 'ec' : 'rsa');
  return { kid, alg, ...kp };
}

/** A supplier for tests, with a fresh key pair for its client. */
export function testSupplier(
  name: string,
  permissions: string[],
  extra: Partial<Pick<TestSupplier, 'rateLimitPerSecond' | 'odsCodes' | 'roles'>> = {},
): TestSupplier {
  const clientId = `${name.toLowerCase()}-client`;
  return { name, permissions, clientId, keys: [keyPair(`${name}-rs`, 'RS512'), keyPair(`${name}-ec`, 'ES256')], ...extra };
}

/** The default cast: one supplier with every permission, and a few narrower ones. */
export function defaultSuppliers(): TestSupplier[] {
  return [
    testSupplier('ALL', ['*.CRUDS']),
    testSupplier('FLU_ONLY', ['FLU.CRUDS']),
    testSupplier('READER', ['*.RS']),
    testSupplier('NO_GRANTS', []),
  ];
}

export interface TestApp {
  app: NestExpressApplication;
  config: AppConfig;
  logger: CapturingLogger;
  suppliers: TestSupplier[];
  /** supertest bound to the running server. */
  http: ReturnType<typeof supertest>;
  /** A valid access token for the named supplier. */
  tokenFor(supplier: string): Promise<string>;
  /** Base URL of the listening server (http://127.0.0.1:<port>). */
  url: string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  suppliers?: TestSupplier[];
  controllers?: Type<unknown>[];
  /** Share one database between several apps (e.g. two instances): pass the first app's databaseUrl. */
  databaseUrl?: string | null;
}

/**
 * Boots the real application (same module graph and HTTP pipeline as main.ts) on a fresh database:
 * a new PostgreSQL database per app when TEST_DATABASE_URL/DATABASE_URL is set, else in-memory PGlite.
 */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp & { databaseUrl: string | null }> {
  const suppliers = options.suppliers ?? defaultSuppliers();
  const dir = mkdtempSync(join(tmpdir(), 'imms-test-'));
  const suppliersFile = writeSuppliersFile(dir, suppliers);
  let db: { url: string; drop: () => Promise<void> } | null = null;
  let databaseUrl: string | null;
  if (options.databaseUrl !== undefined) databaseUrl = options.databaseUrl;
  else if (onPostgres) {
    db = await createDatabase();
    databaseUrl = db.url;
  } else databaseUrl = null;

  const port = await freePort();
  const config = loadConfig({
    PORT: String(port),
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    DATA_DIR: 'memory://',
    LOG_LEVEL: 'debug',
    SUPPLIERS_FILE: suppliersFile,
    DATABASE_URL: databaseUrl ?? '',
    DATABASE_POOL_SIZE: '20',
    NOTIFICATION_RELAY_ENABLED: 'false',
    PGLITE_TEMPLATE: process.env.PGLITE_TEMPLATE ?? '',
    ...options.env,
  });
  const logger = new CapturingLogger();
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.forRoot(config, logger)],
    controllers: options.controllers ?? [],
  }).compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ bodyParser: false, logger });
  configureApp(app, config, logger);
  await app.listen(port, '127.0.0.1');
  const url = `http://127.0.0.1:${port}`;
  const tokens = app.get(TokenService);
  return {
    app,
    config,
    logger,
    suppliers,
    databaseUrl,
    url,
    http: supertest(app.getHttpServer()),
    tokenFor: async (name: string) => {
      const s = suppliers.find((x) => x.name === name);
      if (!s) throw new Error(`no test supplier ${name}`);
      return (await tokens.issue(s.clientId)).access_token;
    },
    close: async () => {
      await app.close();
      if (db) await db.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
