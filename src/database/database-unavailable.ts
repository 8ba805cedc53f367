import { sqlState } from './database';

/**
 * SQLSTATEs that mean "the database cannot serve right now" rather than "this request is wrong":
 * connection exceptions (08), server shutting down or starting (57P01-57P03), statement or lock
 * timeout (57014, 55P03), insufficient resources (53: too many connections, disk full, out of memory).
 */
const UNAVAILABLE_STATE = /^(08...|57P0[1-3]|57014|55P03|53...)$/;

/** node-postgres' errors for a server it cannot reach, that stopped answering, or that went away. */
const UNAVAILABLE_CODE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN']);
const UNAVAILABLE_MESSAGE = /timeout exceeded when trying to connect|connection terminated|query read timeout|connection timeout|Client has encountered a connection error|Connection terminated unexpectedly|cannot use a pool after calling end/i;

/** True when an error says the database is down, frozen, overloaded or unreachable: answer 503, retry later. */
export function isDatabaseUnavailable(e: unknown): boolean {
  if (!e || typeof e !== 'object') return false;
  const code = sqlState(e);
  if (code && UNAVAILABLE_STATE.test(code)) return true;
  if (code && UNAVAILABLE_CODE.has(code)) return true;
  const inner = (e as { driverError?: unknown }).driverError;
  const message = [(e as Error).message, (inner as Error | undefined)?.message].filter(Boolean).join(' ');
  return UNAVAILABLE_MESSAGE.test(message);
}
