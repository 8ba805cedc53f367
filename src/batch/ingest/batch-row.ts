import type { Principal } from '../../auth/principal';
import type { Supplier } from '../../auth/supplier-registry';
import { isUniqueViolation } from '../../database/database';
import { fhirErrorOf } from '../../fhir/domain-error-outcome';
import { RowAction } from '../../immunization/public';
import { DomainError } from '../../kernel/domain-error';
import { FLAT_FIELDS, FlatRecord } from '../domain/flat-record';
import { flatToFhir } from '../domain/flat-to-fhir';
import type { BatchFileRow, FailureRow } from '../infrastructure/batch.store';

/** One data row of a file: its number (1 = first row after the headers) and its values. */
export interface FileRow {
  n: number;
  values: string[];
}

const OPERATION_OF: Record<RowAction, 'create' | 'update' | 'delete'> = { NEW: 'create', UPDATE: 'update', DELETE: 'delete' };

/**
 * The lane of a row: by its identifier, so that all rows of one record share a lane and apply in
 * file order. (FNV-1a; stable across restarts and instances.)
 */
export function laneOf(row: FileRow, lanes: number): number {
  if (lanes === 1) return 0;
  const key = `${(row.values[10] ?? '').trim()}|${(row.values[9] ?? '').trim()}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) % lanes;
}

/** A row refused for a reason of its own: it fails alone, nothing of it was written. */
export class RowFailure extends Error {}

/** The row's values as a flat record (missing trailing values are empty). */
export function recordOf(values: string[]): FlatRecord {
  // Runs per row: a plain loop filling one object in field order (one hidden-class chain), not
  // Object.fromEntries + forEach, which showed as ~6% of ingestion CPU.
  const r = {} as Record<string, string>;
  for (let i = 0; i < FLAT_FIELDS.length; i++) r[FLAT_FIELDS[i]] = (values[i] ?? '').trim();
  return r as FlatRecord;
}

/** A row's checks that need no database, and the row as the Immunization module's command takes it. */
export function rowCommand(file: BatchFileRow, principal: Principal, row: FileRow) {
  {
    const r = recordOf(row.values);
    const action = r.ACTION_FLAG.toUpperCase();
    if (action !== 'NEW' && action !== 'UPDATE' && action !== 'DELETE') {
      throw new RowFailure(`Invalid ACTION_FLAG - ACTION_FLAG must be 'NEW', 'UPDATE' or 'DELETE'`);
    }
    if (!r.UNIQUE_ID || !r.UNIQUE_ID_URI) throw new RowFailure('UNIQUE_ID or UNIQUE_ID_URI is missing');
    if (!principal.supplier.permissions.allows(OPERATION_OF[action], file.vaccine_type))
      throw new RowFailure('No permissions for requested operation');
    if (row.values.length !== FLAT_FIELDS.length) {
      throw new RowFailure(`The row has ${row.values.length} values; a row needs ${FLAT_FIELDS.length}, one per header.`);
    }
    const body = action === 'DELETE' ? null : flatToFhir(r, file.vaccine_type);
    return { action: action as RowAction, identifier: { system: r.UNIQUE_ID_URI, value: r.UNIQUE_ID }, body };
  }
}

export function failureOf(row: FileRow, e: unknown): FailureRow {
  const r = recordOf(row.values);
  let diagnostics: string;
  // The issues the API would answer with (capped the same way), joined.
  if (e instanceof DomainError)
    diagnostics = fhirErrorOf(e)
      .issues.map((i) => i.diagnostics ?? i.code)
      .join('; ');
  else if (e instanceof RowFailure) diagnostics = e.message;
  else if (isUniqueViolation(e)) diagnostics = `A live record already has identifier ${r.UNIQUE_ID_URI}|${r.UNIQUE_ID}.`;
  else diagnostics = 'The row could not be applied (an unexpected error; it has been logged).';
  return {
    row_number: row.n,
    local_id: `${r.UNIQUE_ID}^${r.UNIQUE_ID_URI}`,
    imms_id: null,
    operation: r.ACTION_FLAG.toUpperCase() || null,
    diagnostics,
  };
}

/** Who a file's rows act as: its supplier, or one with no permissions if it was removed while the file waited. */
export function principalOf(supplier: Supplier | undefined, file: BatchFileRow): Principal {
  return {
    clientId: `batch:${file.file_name}`,
    supplier: supplier ?? {
      name: file.supplier,
      permissions: { allows: () => false, filter: () => [] } as never,
      grants: [],
      roles: [],
      clients: [],
      rateLimitPerSecond: null,
    },
  };
}
