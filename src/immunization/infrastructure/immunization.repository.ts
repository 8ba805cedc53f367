// Over 250 lines on purpose: every statement that reads or writes the `immunization` table, and the event-log appends, in one place (the statements the write-path budget pins), single-row and chunk forms side by side.
import type { Immunization } from '@medplum/fhirtypes';
import { Injectable } from '@nestjs/common';
import type { SqlExecutor, Tx } from '../../database/database';
import type { EventWrite, RecordWrites, RowWrite } from '../commands/record-writes';
import type { StoredImmunization } from '../domain/immunization-record';

interface Row {
  id: string;
  version: number;
  identifier_system: string;
  identifier_value: string;
  vaccine_type: string;
  nhs_number: string | null;
  occurrence: string;
  supplier: string;
  deleted: boolean;
  resource: Immunization;
  updated_at: Date;
}

/** Server ids are UUIDs; anything else cannot exist (and must not reach a uuid column as a cast error). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const COLUMNS = `id, version, identifier_system, identifier_value, vaccine_type, nhs_number, occurrence, supplier,
  deleted_at IS NOT NULL AS deleted, resource, updated_at`;

function toStored(r: Row): StoredImmunization {
  return {
    id: r.id,
    version: r.version,
    identifierSystem: r.identifier_system,
    identifierValue: r.identifier_value,
    vaccineType: r.vaccine_type,
    nhsNumber: r.nhs_number,
    occurrence: r.occurrence,
    supplier: r.supplier,
    deleted: r.deleted,
    resource: r.resource,
    lastUpdated: new Date(r.updated_at),
  };
}

/** The current row as a read answers it: the resource as its stored text. */
export interface CurrentRow {
  id: string;
  version: number;
  vaccine_type: string;
  deleted: boolean;
  updated_at: Date;
  resource_json: string;
}

/**
 * All SQL of the Immunization write side over the `immunization` table and the event-log appends
 * (the event log's reads are in event-log.reader.ts). seq is handed out as text (bigint exceeds JS
 * numbers).
 */
@Injectable()
export class ImmunizationRepository implements RecordWrites {
  async findById(db: SqlExecutor, id: string): Promise<StoredImmunization | null> {
    if (!UUID.test(id)) return null;
    const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM immunization WHERE id = $1`, [id]);
    return rows.length ? toStored(rows[0]) : null;
  }

  /** findById for a read: only what the answer needs, the resource unparsed. */
  async readCurrent(db: SqlExecutor, id: string): Promise<CurrentRow | null> {
    if (!UUID.test(id)) return null;
    const { rows } = await db.query<CurrentRow>(
      `SELECT id, version, vaccine_type, deleted_at IS NOT NULL AS deleted, updated_at, resource::text AS resource_json
         FROM immunization WHERE id = $1`,
      [id],
    );
    return rows[0] ?? null;
  }

  /** Every record (live or deleted) of these NHS numbers, locked for a patient merge, in id order. */
  async findByNhsNumbersForUpdate(tx: Tx, nhsNumbers: string[]): Promise<StoredImmunization[]> {
    const { rows } = await tx.query<Row>(`SELECT ${COLUMNS} FROM immunization WHERE nhs_number = ANY ($1::text[]) ORDER BY id FOR UPDATE`, [
      nhsNumbers,
    ]);
    return rows.map(toStored);
  }

  /**
   * One statement for the start of a create: the record holding this identifier (live or deleted)
   * and, when the client sent X-Request-ID, the record a create with that id made in the last TTL hours.
   */
  async findForCreate(
    tx: Tx,
    identifier: { system: string; value: string },
    retry: { supplier: string; requestId: string; ttlHours: number } | null,
  ): Promise<{ byIdentifier: StoredImmunization | null; byRequestId: StoredImmunization | null }> {
    const { rows } = await tx.query<Row & { matched: 'identifier' | 'request' }>(
      `SELECT 'identifier' AS matched, ${COLUMNS} FROM immunization
         WHERE identifier_system = $1 AND identifier_value = $2
       UNION ALL
       SELECT 'request' AS matched, ${COLUMNS} FROM immunization
         WHERE $3::text IS NOT NULL AND id = (
           SELECT immunization_id FROM immunization_event
            WHERE supplier = $3 AND request_id = $4 AND recorded_at > now() - make_interval(hours => $5::int)
              AND operation <> 'DELETE'
            ORDER BY seq LIMIT 1)`,
      [identifier.system, identifier.value, retry?.supplier ?? null, retry?.requestId ?? null, retry?.ttlHours ?? 24],
    );
    const pick = (m: string) => {
      const r = rows.filter((x) => x.matched === m).sort((a, b) => Number(a.deleted) - Number(b.deleted))[0];
      return r ? toStored(r) : null;
    };
    return { byIdentifier: pick('identifier'), byRequestId: pick('request') };
  }

  /**
   * Every record (live or deleted) holding one of these identifiers, in one statement (a batch
   * chunk). Keyed `system|value`; when an identifier has a live and a deleted row, the live one wins
   * (as in findForCreate).
   */
  async findByIdentifiers(tx: Tx, identifiers: { system: string; value: string }[]): Promise<Map<string, StoredImmunization>> {
    const found = new Map<string, StoredImmunization>();
    if (identifiers.length === 0) return found;
    const { rows } = await tx.query<Row>(
      `SELECT ${COLUMNS} FROM immunization
        WHERE (identifier_system, identifier_value) IN (SELECT k->>'s', k->>'v' FROM json_array_elements($1::json) AS k)`,
      [JSON.stringify(identifiers.map((i) => ({ s: i.system, v: i.value })))],
    );
    for (const r of rows) {
      const key = `${r.identifier_system}|${r.identifier_value}`;
      const had = found.get(key);
      if (!had || (had.deleted && !r.deleted)) found.set(key, toStored(r));
    }
    return found;
  }

  /** insert() for many new rows in one statement (a batch chunk). */
  async insertMany(tx: Tx, writes: RowWrite[], at: Date): Promise<void> {
    if (writes.length === 0) return;
    const batch = writes.map((w) => ({
      id: w.id,
      version: w.version,
      system: w.identifier.system,
      value: w.identifier.value,
      nhs: w.nhsNumber,
      type: w.vaccineType,
      occurrence: w.occurrence,
      supplier: w.supplier,
      resource: w.resource,
    }));
    await tx.query(
      `INSERT INTO immunization (id, version, identifier_system, identifier_value, nhs_number, vaccine_type, occurrence,
         supplier, resource, deleted_at, created_at, updated_at)
       SELECT (v.j->>'id')::uuid, (v.j->>'version')::int, v.j->>'system', v.j->>'value', v.j->>'nhs', v.j->>'type',
              v.j->>'occurrence', v.j->>'supplier', v.j->'resource', NULL, $2, $2
         FROM json_array_elements($1::json) WITH ORDINALITY AS v(j, n)
        ORDER BY v.n`,
      [JSON.stringify(batch), at],
    );
  }

  /** markDeleted() for many rows in one statement; returns how many were still at their expected version. */
  async markDeletedMany(tx: Tx, rows: { id: string; expectedVersion: number }[], at: Date): Promise<number> {
    if (rows.length === 0) return 0;
    const { rows: done } = await tx.query(
      `UPDATE immunization i SET deleted_at = $2, updated_at = $2
         FROM json_array_elements($1::json) AS v(j)
        WHERE i.id = (v.j->>'id')::uuid AND i.version = (v.j->>'expected')::int AND i.deleted_at IS NULL
       RETURNING i.id`,
      [JSON.stringify(rows.map((r) => ({ id: r.id, expected: r.expectedVersion }))), at],
    );
    return done.length;
  }

  async insert(tx: Tx, w: RowWrite): Promise<void> {
    await tx.query(
      `INSERT INTO immunization (id, version, identifier_system, identifier_value, nhs_number, vaccine_type, occurrence,
         supplier, resource, deleted_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::json, NULL, $10, $10)`,
      [
        w.id,
        w.version,
        w.identifier.system,
        w.identifier.value,
        w.nhsNumber,
        w.vaccineType,
        w.occurrence,
        w.supplier,
        JSON.stringify(w.resource),
        w.at,
      ],
    );
  }

  /**
   * The version-guarded write: one statement that succeeds only if the row is still at the version
   * (and deleted-ness) the decision was based on. Returns false when someone else got there first.
   */
  async updateGuarded(
    tx: Tx,
    w: RowWrite,
    guard: { expectedVersion: number; wasDeleted: boolean },
    o: { stayDeleted: boolean } = { stayDeleted: false },
  ): Promise<boolean> {
    const { rows } = await tx.query(
      `UPDATE immunization SET version = $2, nhs_number = $3, vaccine_type = $4, occurrence = $5, supplier = $6,
         resource = $7::json, deleted_at = CASE WHEN $11::boolean THEN deleted_at END, updated_at = $8
       WHERE id = $1 AND version = $9 AND (deleted_at IS NOT NULL) = $10
       RETURNING version`,
      [
        w.id,
        w.version,
        w.nhsNumber,
        w.vaccineType,
        w.occurrence,
        w.supplier,
        JSON.stringify(w.resource),
        w.at,
        guard.expectedVersion,
        guard.wasDeleted,
        o.stayDeleted,
      ],
    );
    return rows.length === 1;
  }

  /**
   * updateGuarded for many rows in one statement (a patient merge). Returns how many rows were
   * still at the version (and deleted-ness) their decision was based on; fewer than given means
   * someone got there first and the caller must throw.
   */
  async updateGuardedMany(
    tx: Tx,
    writes: { w: RowWrite; guard: { expectedVersion: number; wasDeleted: boolean }; stayDeleted: boolean }[],
    at: Date,
  ): Promise<number> {
    // One JSON document rather than parallel arrays: the resources travel once, unescaped, and a
    // json value's text (key order included) is stored as sent.
    const batch = writes.map((x) => ({
      id: x.w.id,
      version: x.w.version,
      nhs: x.w.nhsNumber,
      type: x.w.vaccineType,
      occurrence: x.w.occurrence,
      supplier: x.w.supplier,
      expected: x.guard.expectedVersion,
      wasDeleted: x.guard.wasDeleted,
      stayDeleted: x.stayDeleted,
      resource: x.w.resource,
    }));
    const { rows } = await tx.query(
      `UPDATE immunization i SET version = (v.j->>'version')::int, nhs_number = v.j->>'nhs', vaccine_type = v.j->>'type',
         occurrence = v.j->>'occurrence', supplier = v.j->>'supplier', resource = v.j->'resource',
         deleted_at = CASE WHEN (v.j->>'stayDeleted')::boolean THEN i.deleted_at END, updated_at = $2
       FROM json_array_elements($1::json) AS v(j)
       WHERE i.id = (v.j->>'id')::uuid AND i.version = (v.j->>'expected')::int
         AND (i.deleted_at IS NOT NULL) = (v.j->>'wasDeleted')::boolean
       RETURNING i.id`,
      [JSON.stringify(batch), at],
    );
    return rows.length;
  }

  /** appendEvent for many changes in one statement; the sequence numbers come back in the given order. */
  async appendEvents(tx: Tx, events: EventWrite[], at: Date): Promise<string[]> {
    const { rows } = await tx.query<{ seq: string; immunization_id: string }>(
      `INSERT INTO immunization_event (immunization_id, version, operation, supplier, vaccine_type, request_id, resource, recorded_at)
       SELECT (e.j->>'id')::uuid, (e.j->>'version')::int, e.j->>'operation', e.j->>'supplier', e.j->>'vaccineType', NULL, e.j->'resource', $2
         FROM json_array_elements($1::json) WITH ORDINALITY AS e(j, n)
        ORDER BY e.n
       RETURNING seq::text AS seq, immunization_id`,
      [JSON.stringify(events), at],
    );
    const seqOf = new Map(rows.map((r) => [r.immunization_id, r.seq]));
    return events.map((e) => seqOf.get(e.id)!);
  }

  async markDeleted(tx: Tx, id: string, expectedVersion: number, at: Date): Promise<boolean> {
    const { rows } = await tx.query(
      `UPDATE immunization SET deleted_at = $3, updated_at = $3
       WHERE id = $1 AND version = $2 AND deleted_at IS NULL RETURNING version`,
      [id, expectedVersion, at],
    );
    return rows.length === 1;
  }

  async appendEvent(tx: Tx, e: EventWrite & { requestId: string | null; at: Date }): Promise<string> {
    const { rows } = await tx.query<{ seq: string }>(
      `INSERT INTO immunization_event (immunization_id, version, operation, supplier, vaccine_type, request_id, resource, recorded_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7::json, $8) RETURNING seq::text AS seq`,
      [e.id, e.version, e.operation, e.supplier, e.vaccineType, e.requestId, JSON.stringify(e.resource), e.at],
    );
    return rows[0].seq;
  }
}
