/**
 * SQLSTATEs that mean "the database cannot serve right now" rather than "this request is wrong":
 * connection exceptions (08), server shutting down or starting (57P01-57P03), statement or lock
 * timeout (57014, 55P03), insufficient resources (53: too many connections, disk full, out of memory).
 */
const UNAVAILABLE_STATE = /^(08...|57P0[1-3]|57014|55P03|53...)$/;

/** node-postgres' errors for a server it cannot reach, that stopped answering, or that went away. */
const UNAVAILABLE_CODE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN']);
const UNAVAILABLE_MESSAGE =
  /timeout exceeded when trying to connect|connection terminated|query read timeout|connection timeout|Client has encountered a connection error|Client was closed and is not queryable|cannot use a pool after calling end/i;

/** Thrown without asking the database while it is known to be unreachable (see Database). */
export class DatabaseUnavailableError extends Error {}

export function errorCode(e: unknown): string | undefined {
  const err = e as { code?: unknown; driverError?: { code?: unknown } };
  const c = err?.driverError?.code ?? err?.code;
  return typeof c === 'string' ? c : undefined;
}

function message(e: unknown): string {
  const inner = (e as { driverError?: unknown }).driverError;
  return [(e as Error).message, (inner as Error | undefined)?.message].filter(Boolean).join(' ');
}

/** True when an error says the database is down, frozen, overloaded or unreachable: answer 503, retry later. */
export function isDatabaseUnavailable(e: unknown): boolean {
  if (!e || typeof e !== 'object') return false;
  if (e instanceof DatabaseUnavailableError) return true;
  const c = errorCode(e);
  if (c && (UNAVAILABLE_STATE.test(c) || UNAVAILABLE_CODE.has(c))) return true;
  return UNAVAILABLE_MESSAGE.test(message(e));
}

/**
 * The server itself cannot be reached or does not answer at all (as opposed to one slow statement or
 * one dropped connection): refused, connect timeout, or the client's read timeout. Worth failing the
 * next requests fast instead of letting each wait for the same timeout.
 */
export function isDatabaseUnreachable(e: unknown): boolean {
  if (!e || typeof e !== 'object') return false;
  const c = errorCode(e);
  if (c && ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', '57P03'].includes(c)) return true;
  return /timeout exceeded when trying to connect|connection timeout|query read timeout/i.test(message(e));
}
