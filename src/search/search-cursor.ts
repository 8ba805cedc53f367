/**
 * Where the next page of a patient search starts: the last row handed out, by the result order
 * (occurrence newest first, then id). Keyset paging: a record written between two page requests
 * neither repeats nor pushes another one off the end, as an offset would.
 */
export interface SearchCursor {
  /** The row's occurrence, UTC with microseconds, exactly as the database renders it. */
  at: string;
  id: string;
}

const AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Opaque on the wire (base64url) so clients take it from `next` links rather than build it. */
export function encodeCursor(c: SearchCursor): string {
  return Buffer.from(`${c.at}|${c.id}`, 'utf8').toString('base64url');
}

/** The cursor, or null when the text is not one this server hands out. */
export function decodeCursor(text: string): SearchCursor | null {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(text)) return null;
  const [at, id, ...rest] = Buffer.from(text, 'base64url').toString('utf8').split('|');
  if (rest.length > 0 || !AT.test(at ?? '') || !UUID.test(id ?? '')) return null;
  // Date.parse rolls an impossible day over (2024-06-31 → 1 July); PostgreSQL refuses it with a
  // 500-causing error. The instant must print back as the same calendar date and time.
  const ms = Date.parse(at);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 19) !== at.slice(0, 19)) return null;
  return { at, id };
}
