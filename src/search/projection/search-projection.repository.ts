import { Injectable } from '@nestjs/common';
import { Database, Tx } from '../../database/database';
import type { ImmunizationChange } from '../../immunization/public';
import type { SearchCursor } from '../search-cursor';
import { occurrenceDate, occurrenceInstant } from './occurrence';

/** One projected record as search hands it out. */
export interface SearchRow {
  id: string;
  version: number;
  nhsNumber: string | null;
  vaccineType: string;
  /** The representation the write side stored (contained Patient and all). */
  resource: Record<string, unknown>;
  /** This row's position in the result order, for the next link. */
  cursor: SearchCursor;
}

export interface PatientPageQuery {
  nhsNumber: string;
  types: string[];
  dateFrom: string | null;
  dateTo: string | null;
  /** Start after this row; null for the first page. */
  after: SearchCursor | null;
  /** Rows to return at most (callers ask for one more than a page to learn whether another follows). */
  limit: number;
}

export interface PatientPage {
  /** Every match, whatever the page. */
  total: number;
  rows: SearchRow[];
}

/** The reads the search queries need: the port their handlers depend on (faked in handler specs). */
export abstract class SearchReads {
  abstract patientPage(q: PatientPageQuery): Promise<PatientPage>;
  abstract byIdentifier(system: string, value: string): Promise<SearchRow | null>;
}

interface Row {
  total?: string | number;
  id: string | null;
  version: number;
  nhs_number: string | null;
  vaccine_type: string;
  resource: Record<string, unknown>;
  cursor_at: string;
}

const CURSOR_AT = `to_char(occurrence AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * One statement per page. The matches are read once through search_immunization_patient (equality
 * on NHS number and type, range filter on the date); the count and the keyset page both come from
 * that one scan, and the count survives an empty page (a cursor past the end).
 */
const PATIENT_PAGE_SQL = `WITH matched AS MATERIALIZED (
  SELECT id, version, nhs_number, vaccine_type, occurrence, resource
    FROM search_immunization
   WHERE nhs_number = $1
     AND vaccine_type = ANY ($2::text[])
     AND ($3::date IS NULL OR occurrence_date >= $3::date)
     AND ($4::date IS NULL OR occurrence_date <= $4::date)
)
SELECT t.total, p.id, p.version, p.nhs_number, p.vaccine_type, p.resource, p.cursor_at
  FROM (SELECT count(*) AS total FROM matched) t
  LEFT JOIN LATERAL (
    SELECT id, version, nhs_number, vaccine_type, resource, occurrence, ${CURSOR_AT} AS cursor_at
      FROM matched
     WHERE $5::timestamptz IS NULL OR occurrence < $5::timestamptz OR (occurrence = $5::timestamptz AND id > $6::uuid)
     ORDER BY occurrence DESC, id
     LIMIT $7
  ) p ON true
 ORDER BY p.occurrence DESC, p.id`;

const IDENTIFIER_SQL = `SELECT id, version, nhs_number, vaccine_type, resource, ${CURSOR_AT} AS cursor_at
  FROM search_immunization
 WHERE identifier_system = $1 AND identifier_value = $2
 ORDER BY id
 LIMIT 1`;

const UPSERT_SQL = `INSERT INTO search_immunization
    (id, nhs_number, vaccine_type, occurrence, occurrence_date, identifier_system, identifier_value, version, resource)
  VALUES ($1, $2, $3, $4::timestamptz, $5::date, $6, $7, $8, $9::json)
  ON CONFLICT (id) DO UPDATE SET
    nhs_number = EXCLUDED.nhs_number, vaccine_type = EXCLUDED.vaccine_type, occurrence = EXCLUDED.occurrence,
    occurrence_date = EXCLUDED.occurrence_date, identifier_system = EXCLUDED.identifier_system,
    identifier_value = EXCLUDED.identifier_value, version = EXCLUDED.version, resource = EXCLUDED.resource`;

const DELETE_SQL = `DELETE FROM search_immunization WHERE id = $1`;

const UPSERT_MANY_SQL = `INSERT INTO search_immunization
    (id, nhs_number, vaccine_type, occurrence, occurrence_date, identifier_system, identifier_value, version, resource)
  SELECT (v.j->>'id')::uuid, v.j->>'nhs', v.j->>'type', (v.j->>'occurrence')::timestamptz, (v.j->>'date')::date,
         v.j->>'system', v.j->>'value', (v.j->>'version')::int, v.j->'resource'
    FROM json_array_elements($1::json) AS v(j)
  ON CONFLICT (id) DO UPDATE SET
    nhs_number = EXCLUDED.nhs_number, vaccine_type = EXCLUDED.vaccine_type, occurrence = EXCLUDED.occurrence,
    occurrence_date = EXCLUDED.occurrence_date, identifier_system = EXCLUDED.identifier_system,
    identifier_value = EXCLUDED.identifier_value, version = EXCLUDED.version, resource = EXCLUDED.resource`;

function toRow(r: Row): SearchRow {
  return {
    id: r.id!,
    version: r.version,
    nhsNumber: r.nhs_number,
    vaccineType: r.vaccine_type,
    resource: r.resource,
    cursor: { at: r.cursor_at, id: r.id! },
  };
}

/** All SQL of the search projection: the projector's writes and the queries' reads. */
@Injectable()
export class SearchProjectionRepository extends SearchReads {
  constructor(private readonly db: Database) {
    super();
  }

  /** The exact statement and parameters of a patient page (exposed so tests can EXPLAIN it). */
  static patientPageStatement(q: PatientPageQuery): { text: string; params: unknown[] } {
    return {
      text: PATIENT_PAGE_SQL,
      params: [q.nhsNumber, q.types, q.dateFrom, q.dateTo, q.after?.at ?? null, q.after?.id ?? null, q.limit],
    };
  }

  static identifierStatement(system: string, value: string): { text: string; params: unknown[] } {
    return { text: IDENTIFIER_SQL, params: [system, value] };
  }

  async patientPage(q: PatientPageQuery): Promise<PatientPage> {
    const { text, params } = SearchProjectionRepository.patientPageStatement(q);
    const { rows } = await this.db.query<Row>(text, params);
    return { total: Number(rows[0]?.total ?? 0), rows: rows.filter((r) => r.id !== null).map(toRow) };
  }

  async byIdentifier(system: string, value: string): Promise<SearchRow | null> {
    const { text, params } = SearchProjectionRepository.identifierStatement(system, value);
    const { rows } = await this.db.query<Row>(text, params);
    return rows.length ? toRow(rows[0]) : null;
  }

  /** Many changes of one transaction (each record at most once): one upsert and one delete statement at most. */
  async applyMany(tx: Tx, changes: ImmunizationChange[]): Promise<void> {
    const gone = changes.filter((c) => c.operation === 'DELETE').map((c) => c.id);
    const live = changes.filter((c) => c.operation !== 'DELETE');
    if (gone.length > 0) await tx.query(`DELETE FROM search_immunization WHERE id = ANY ($1::uuid[])`, [gone]);
    if (live.length === 0) return;
    // One JSON document, not parallel arrays: the resources travel once, unescaped.
    const batch = live.map((c) => ({
      id: c.id,
      nhs: c.nhsNumber,
      type: c.vaccineType,
      occurrence: occurrenceInstant(c.occurrence),
      date: occurrenceDate(c.occurrence),
      system: c.identifier.system,
      value: c.identifier.value,
      version: c.version,
      resource: c.resource,
    }));
    await tx.query(UPSERT_MANY_SQL, [JSON.stringify(batch)]);
  }

  /** Exactly one statement per change (the write path's budget): an upsert, or a delete. */
  async apply(tx: Tx, c: ImmunizationChange): Promise<void> {
    if (c.operation === 'DELETE') {
      await tx.query(DELETE_SQL, [c.id]);
      return;
    }
    await tx.query(UPSERT_SQL, [
      c.id,
      c.nhsNumber,
      c.vaccineType,
      occurrenceInstant(c.occurrence),
      occurrenceDate(c.occurrence),
      c.identifier.system,
      c.identifier.value,
      c.version,
      JSON.stringify(c.resource),
    ]);
  }
}
