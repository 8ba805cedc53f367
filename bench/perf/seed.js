'use strict';
// Seeding a population fast while storing exactly what the API would: one template record per
// vaccine type is created through the API, then cloned in SQL (INSERT … SELECT generate_series)
// into every table the create wrote, with the template's id, identifier, NHS number and
// occurrence replaced in every column (text and json by string replacement, uuid/timestamptz/date
// columns where they hold the template's value). The columns come from the catalogue, so columns
// other branches add are cloned too. `check()` then creates equivalent records through the API and
// compares them with seeded ones column by column.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { Client } = require('pg');
const { root, nhsNumbers } = require('./lib');

const NHS_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';
const ID_SYSTEM = 'https://bench.example/ids';
const TYPES = ['FLU', 'COVID', 'MMR', 'RSV', 'HPV', 'MENACWY'];
// Written by a create but pruned by the relay once every subscription has passed the row: a
// population of old records has none (notification.store.ts pruneOutbox).
const NOT_SEEDED = {
  notification_outbox: 'pruned once delivered: empty in steady state',
  // Written after the response by the audit recorder (batched, append-only), not by the create.
  audit_event: 'the access log, not the record',
};

/** The create body of a vaccine type (examples/immunization-create.json with that type's diseases). */
function body(type, identifier, nhsNumber, occurrence) {
  const example = JSON.parse(readFileSync(join(root, 'examples', 'immunization-create.json'), 'utf8'));
  const diseases = JSON.parse(readFileSync(join(root, 'config', 'vaccine-types.json'), 'utf8'))[type].diseases;
  example.identifier = [{ system: ID_SYSTEM, value: identifier }];
  example.occurrenceDateTime = occurrence;
  example.recorded = occurrence;
  example.contained.find((r) => r.resourceType === 'Patient').identifier = [{ system: NHS_SYSTEM, value: nhsNumber }];
  example.protocolApplied[0].targetDisease = diseases.map(([code, display]) => ({
    coding: [{ system: 'http://snomed.info/sct', code, display }],
  }));
  return example;
}

async function post(base, tokenValue, b) {
  const res = await fetch(`${base}/Immunization`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tokenValue}`, 'content-type': 'application/fhir+json' },
    body: JSON.stringify(b),
  });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${await res.text()}`);
  return res.headers.get('location').split('/').pop();
}

const TEMPLATE_OCC = '2019-06-15T09:41:00+00:00';

/** Columns of the public tables, in order. */
async function catalogue(c) {
  const { rows } = await c.query(
    `SELECT table_name, column_name, data_type, column_default FROM information_schema.columns
      WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`,
  );
  const tables = new Map();
  for (const r of rows) {
    if (!tables.has(r.table_name)) tables.set(r.table_name, []);
    tables.get(r.table_name).push(r);
  }
  return tables;
}

class Seeder {
  constructor(databaseUrl, { patients, records }) {
    this.url = databaseUrl;
    this.patients = patients;
    this.records = records;
    const nhs = nhsNumbers(patients + TYPES.length, 500_000_000);
    this.nhs = nhs.slice(0, patients);
    this.templateNhs = nhs.slice(patients);
  }

  /** Creates the templates through the API and finds the rows each one wrote. */
  async templates(base, tokenValue) {
    this.tpl = [];
    for (const [i, type] of TYPES.entries()) {
      const ident = `bench-template-${type}`;
      const id = await post(base, tokenValue, body(type, ident, this.templateNhs[i], TEMPLATE_OCC));
      this.tpl.push({ type, id, ident, nhs: this.templateNhs[i] });
    }
    const c = new Client({ connectionString: this.url });
    await c.connect();
    try {
      this.tables = [];
      for (const [table, cols] of await catalogue(c)) {
        const probe = this.tpl[0].id;
        const { rows } = await c.query(`SELECT count(*)::int AS n FROM ${table} t WHERE t::text LIKE '%' || $1 || '%'`, [probe]);
        if (rows[0].n === 0) continue;
        if (NOT_SEEDED[table]) continue;
        // The columns that hold the record's id (the key to find a record's rows), from the template.
        const keyCols = [];
        for (const col of cols.filter((x) => x.data_type === 'uuid')) {
          const { rows: k } = await c.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${col.column_name} = $1`, [probe]);
          if (k[0].n > 0) keyCols.push(col.column_name);
        }
        if (keyCols.length === 0)
          throw new Error(`seed: ${table} holds the record id but in no uuid column; teach bench/perf/seed.js about it`);
        this.tables.push({ table, cols, key: keyCols[0] });
      }
    } finally {
      await c.end();
    }
    return this.tables.map((t) => t.table);
  }

  /** The expression for one column of a clone (s = the generated record, t = the template row). */
  expr({ column_name: n, data_type: type, column_default: def }) {
    if (def && /nextval\(|pg_current_xact_id/.test(def)) return null; // sequence / transaction id: as the database assigns them
    if (type === 'uuid') return `CASE WHEN t.${n} = s.tid THEN s.id ELSE t.${n} END`;
    if (type === 'text' || type === 'json' || type === 'jsonb' || type === 'character varying')
      return `replace(replace(replace(replace(t.${n}::text, s.tid::text, s.id::text), s.tident, s.ident), s.tnhs, s.nhs), '${TEMPLATE_OCC}', s.occ_text)::${type === 'character varying' ? 'text' : type}`;
    if (type === 'timestamp with time zone') return `CASE WHEN t.${n} = '${TEMPLATE_OCC}'::timestamptz THEN s.occ ELSE t.${n} END`;
    if (type === 'date')
      return `CASE WHEN t.${n} = '${TEMPLATE_OCC.slice(0, 10)}'::date THEN (s.occ AT TIME ZONE 'UTC')::date ELSE t.${n} END`;
    return `t.${n}`;
  }

  /**
   * Records g in [from, to): record g belongs to patient g % P (history size R / P for every
   * patient), its type rotates per patient, its occurrence spreads over ten years. The first
   * `stage1` records use the first stage1·P/R patients only (the 10k-record population for the
   * scale comparison); later records use the rest.
   */
  async clone(from, to, stage1) {
    const c = new Client({ connectionString: this.url });
    await c.connect();
    const p1 = Math.max(1, Math.round((stage1 * this.patients) / this.records));
    try {
      await c.query('SET synchronous_commit = off');
      // Patients as a (temporary) table to join: subscripting a 100,000-element array parameter per
      // row costs time proportional to the array, per row.
      await c.query(
        'CREATE TEMP TABLE bench_patient AS SELECT (o - 1)::int AS p, nhs FROM unnest($1::text[]) WITH ORDINALITY AS u(nhs, o)',
        [this.nhs],
      );
      await c.query('ALTER TABLE bench_patient ADD PRIMARY KEY (p)');
      const chunk = 50_000;
      for (const { table, cols, key } of this.tables) {
        const used = cols.map((col) => [col.column_name, this.expr(col)]).filter(([, e]) => e !== null);
        for (let lo = from; lo < to; lo += chunk) {
          const hi = Math.min(to, lo + chunk);
          await c.query(
            `INSERT INTO ${table} (${used.map(([n]) => n).join(', ')})
             SELECT ${used.map(([, e]) => e).join(', ')}
               FROM (SELECT g, md5('bench' || g)::uuid AS id, 'bench-' || g AS ident, bp.nhs, occ,
                            to_char(occ AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"') AS occ_text,
                            ($1::uuid[])[1 + ti] AS tid, ($2::text[])[1 + ti] AS tident, ($3::text[])[1 + ti] AS tnhs
                       FROM (SELECT g, p, (p + k) % ${TYPES.length} AS ti,
                                    timestamptz '2016-01-01 00:00:00+00' + ((g::bigint * 7919) % 3650) * interval '1 day' + (g % 600) * interval '1 minute' AS occ
                               FROM (SELECT g,
                                            CASE WHEN g < $6 THEN g % $7 ELSE $7 + (g - $6) % ($8 - $7) END AS p,
                                            CASE WHEN g < $6 THEN g / $7 ELSE (g - $6) / ($8 - $7) END AS k
                                       FROM generate_series($4::int, $5::int - 1) g) a) b
                       JOIN bench_patient bp ON bp.p = b.p) s
               JOIN ${table} t ON t.${key} = s.tid`,
            [this.tpl.map((x) => x.id), this.tpl.map((x) => x.ident), this.tpl.map((x) => x.nhs), lo, hi, stage1, p1, this.patients],
          );
        }
      }
      await c.query('ANALYZE');
    } finally {
      await c.end();
    }
  }

  /** NHS numbers of the patients of the first `stage1` records. */
  stage1Patients(stage1) {
    return this.nhs.slice(0, Math.max(1, Math.round((stage1 * this.patients) / this.records)));
  }

  /**
   * Creates, through the API, the record a seeded one stands for (same type, NHS number and
   * occurrence; its own identifier) and compares their rows in every seeded table, all columns but
   * ids, sequence numbers and times. Throws on the first difference.
   */
  async check(base, tokenValue, samples) {
    const c = new Client({ connectionString: this.url });
    await c.connect();
    try {
      for (const g of samples) {
        const sid = (await c.query(`SELECT md5('bench' || $1::int)::uuid::text AS id`, [g])).rows[0].id;
        const main = this.tables.find((t) => t.table === 'immunization') || this.tables[0];
        const { rows: r } = await c.query(`SELECT row_to_json(t)::text AS j FROM ${main.table} t WHERE ${main.key} = $1`, [sid]);
        if (r.length !== 1) throw new Error(`seed check: record ${g} (${sid}) not found in ${main.table}`);
        const seeded = JSON.parse(r[0].j);
        const type = seeded.vaccine_type;
        const res = JSON.parse(seeded.resource ? JSON.stringify(seeded.resource) : '{}');
        const nhs = res.contained?.find((x) => x.resourceType === 'Patient')?.identifier?.[0]?.value;
        const occ = res.occurrenceDateTime;
        const ident = `bench-check-${g}-${Date.now()}`;
        const cid = await post(base, tokenValue, body(type, ident, nhs, occ));
        for (const { table, cols, key } of this.tables) {
          const rowsOf = async (id) =>
            (await c.query(`SELECT row_to_json(t)::text AS j FROM ${table} t WHERE ${key} = $1 ORDER BY 1`, [id])).rows.map((x) => x.j);
          const skip = new Set(
            cols.filter((col) => this.expr(col) === null || /timestamp/.test(col.data_type)).map((col) => col.column_name),
          );
          // Times are skipped unless they are the occurrence (which the clone rewrites).
          const occCols = new Set(
            cols.filter((col) => /timestamp|date/.test(col.data_type) && /occurrence/.test(col.column_name)).map((col) => col.column_name),
          );
          const norm = (j) => {
            const o = JSON.parse(j.split(cid).join(sid).split(ident).join(`bench-${g}`));
            for (const k of Object.keys(o)) if (skip.has(k) && !occCols.has(k)) delete o[k];
            return JSON.stringify(o).replace(/\\?"lastUpdated\\?":\\?"[^"\\]*\\?"/g, '"lastUpdated":"…"');
          };
          const a = (await rowsOf(cid)).map(norm);
          const b = (await rowsOf(sid)).map(norm);
          if (JSON.stringify(a) !== JSON.stringify(b)) {
            throw new Error(
              `seed check failed: ${table} rows of seeded record ${g} differ from what the API stored for the same create:\n  API:    ${a.join('\n          ')}\n  seeded: ${b.join('\n          ')}`,
            );
          }
        }
      }
    } finally {
      await c.end();
    }
  }
}

module.exports = { Seeder, TYPES, NHS_SYSTEM, ID_SYSTEM, body, post };
