/** One audit row: who did what to which resource, and how it ended. Never a body, query or NHS number. */
export interface AuditRecord {
  at: Date;
  supplier: string | null;
  clientId: string | null;
  /** FHIR interaction code (read, vread, search-type, create, update, delete, history-instance, history-type) or `token`. */
  interaction: string;
  resourceType: string | null;
  resourceId: string | null;
  version: number | null;
  status: number;
  requestId: string | null;
  correlationId: string | null;
}

/** What a route declares about itself, stamped on the request by the auth guard. */
export interface AuditTarget {
  interaction: string;
  resourceType: string | null;
  resourceId: string | null;
  version: number | null;
}

declare module 'express' {
  interface Request {
    audit?: AuditTarget;
    /** The client a token request proved to be (set once its assertion verified). */
    auditClientId?: string;
  }
}

export const AUDIT_COLUMNS = [
  'at',
  'supplier',
  'client_id',
  'interaction',
  'resource_type',
  'resource_id',
  'version',
  'status',
  'request_id',
  'correlation_id',
] as const;

/** FHIR ids (and nothing else: a path id is client input) are kept; anything else is stored as null. */
export function fhirIdOrNull(v: unknown): string | null {
  return typeof v === 'string' && /^[A-Za-z0-9\-.]{1,64}$/.test(v) ? v : null;
}

/** A version number from `3`, `W/"3"` or `"3"`; null otherwise. */
export function versionOrNull(v: unknown): number | null {
  if (typeof v === 'number' && Number.isInteger(v) && v > 0 && v < 2 ** 31) return v;
  if (typeof v !== 'string') return null;
  const m = /^(?:W\/)?"?(\d{1,9})"?$/.exec(v.trim());
  return m ? Number(m[1]) : null;
}

/** Header ids are echoed as sent (at most 200 characters, printable only). */
export function headerIdOrNull(v: unknown): string | null {
  if (typeof v !== 'string' || v.length === 0) return null;
  // eslint-disable-next-line no-control-regex
  return v.slice(0, 200).replace(/[\u0000-\u001f\u007f]/g, '');
}

/** The filters of `npm run -s audit`, as SQL with parameters. */
export interface AuditQuery {
  since: Date;
  until?: Date;
  supplier?: string;
  interactions?: string[];
  limit: number;
}

export function auditQuerySql(q: AuditQuery): { text: string; params: unknown[] } {
  const where = ['at >= $1'];
  const params: unknown[] = [q.since.toISOString()];
  if (q.until) {
    params.push(q.until.toISOString());
    where.push(`at < $${params.length}`);
  }
  if (q.supplier !== undefined) {
    params.push(q.supplier);
    where.push(`supplier = $${params.length}`);
  }
  if (q.interactions && q.interactions.length > 0) {
    const marks = q.interactions.map((i) => {
      params.push(i);
      return `$${params.length}`;
    });
    where.push(`interaction IN (${marks.join(', ')})`);
  }
  params.push(q.limit);
  return {
    text: `SELECT id::text, at, supplier, client_id, interaction, resource_type, resource_id, version, status, request_id, correlation_id
           FROM audit_event WHERE ${where.join(' AND ')} ORDER BY at, id LIMIT $${params.length}`,
    params,
  };
}
