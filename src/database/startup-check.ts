import { Client } from 'pg';
import { redact, type AppConfig } from '../config/app-config';
import { errorCode } from './database-unavailable';

/** The database refused, or could not be reached, at start-up. The message is one line. */
export class DatabaseStartupError extends Error {}

/** SQLSTATEs no retry can fix: a setting is wrong. */
const FATAL_STATES: Record<string, string> = {
  '3D000': 'the database does not exist',
  '28000': 'the role is not allowed to connect (unknown role, or pg_hba.conf refuses it)',
  '28P01': 'the password is wrong',
  '42501': 'the role lacks a privilege it needs',
};

/** SQLSTATEs that go away by themselves: the server is starting, shutting down or full. */
const PASSING_STATES = new Set(['57P03', '57P01', '57P02', '53300', '08006', '08001', '08004']);

/** Network errors a waiting start-up can outlive (the database is still starting, or restarting). */
const PASSING_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'EPIPE']);

export function describeConnectError(e: unknown): { reason: string; retry: boolean } {
  const err = e as { message?: string; code?: string };
  const message = (err?.message ?? String(e)).split('\n')[0];
  const code = errorCode(e);
  const state = code && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
  if (state && FATAL_STATES[state]) return { reason: `${message} (SQLSTATE ${state}: ${FATAL_STATES[state]})`, retry: false };
  if (state && PASSING_STATES.has(state)) return { reason: `${message} (SQLSTATE ${state})`, retry: true };
  if (state) return { reason: `${message} (SQLSTATE ${state})`, retry: false };
  if (err?.code === 'ENOTFOUND') return { reason: `the host name does not resolve (${message})`, retry: false };
  if (err?.code && PASSING_CODES.has(err.code)) {
    const what = err.code === 'ECONNREFUSED' ? 'connection refused: nothing listens on that host and port' : message;
    return { reason: `${what} (${err.code})`, retry: true };
  }
  // node-postgres' own connect timeout and a connection cut during start-up carry no code.
  if (/timeout|terminated/i.test(message)) return { reason: message, retry: true };
  return { reason: message, retry: false };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Connects once to DATABASE_URL before anything else starts, so a wrong setting is one clear line
 * at once instead of TypeORM's retries with stack traces: wrong database, role or password fail
 * straight away; an unreachable server (refused, timed out: it may still be starting) is retried
 * with backoff (0.25 s doubling to 2 s) for at most DATABASE_STARTUP_RETRY_SECONDS.
 */
export async function checkDatabaseAtStartup(
  config: Pick<AppConfig, 'databaseUrl' | 'databaseConnectTimeoutMs' | 'databaseStartupRetrySeconds'>,
  onRetry: (reason: string, attempt: number) => void = () => undefined,
): Promise<void> {
  if (!config.databaseUrl) return;
  const started = Date.now();
  const deadline = started + config.databaseStartupRetrySeconds * 1000;
  for (let attempt = 1; ; attempt++) {
    const client = new Client({
      connectionString: config.databaseUrl,
      connectionTimeoutMillis: config.databaseConnectTimeoutMs,
      application_name: 'immunisation-fhir-api',
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (e) {
      const { reason, retry } = describeConnectError(e);
      const delay = Math.min(2000, 250 * 2 ** (attempt - 1), deadline - Date.now());
      if (!retry || delay <= 0) {
        const tail = !retry
          ? 'not retried: retrying cannot help'
          : `gave up after ${((Date.now() - started) / 1000).toFixed(1)} s and ${attempt} attempt${attempt === 1 ? '' : 's'} (DATABASE_STARTUP_RETRY_SECONDS=${config.databaseStartupRetrySeconds})`;
        throw new DatabaseStartupError(`cannot use DATABASE_URL ${redact(config.databaseUrl)}: ${reason}; ${tail}`);
      }
      onRetry(reason, attempt);
      await sleep(delay);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}
