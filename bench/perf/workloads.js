'use strict';
// The workloads of `npm run bench`: for each, the HTTP request a connection sends next, and how
// the captured statements of one request are rewritten for the next replayed request.
const { createHash, randomUUID } = require('node:crypto');
const { FHIR } = require('./lib');
const { NHS_SYSTEM, ID_SYSTEM, TYPES, body } = require('./seed');

/** The id the seed gives record g: md5('bench' || g)::uuid. */
function seededId(g) {
  const h = createHash('md5').update(`bench${g}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const pick = (n) => Math.floor(Math.random() * n);
const q = (params) => `${FHIR}/Immunization?${new URLSearchParams(params)}`;
// What a mixed workload sends, in the proportions of the open FHIR server benchmarks' CRUD mixes
// (reads and searches dominate, then creates, then updates).
const MIX = [
  ['read', 0.4],
  ['search, patient 1 type', 0.3],
  ['create', 0.2],
  ['update (If-Match)', 0.1],
];

/**
 * @param ctx.records number of seeded records, ctx.patients their NHS numbers,
 *   ctx.stored(id) → the stored resource of a seeded record (for update bodies)
 */
function workloads(ctx) {
  const nhs = () => ctx.patients[pick(ctx.patients.length)];
  const g = () => pick(ctx.records);
  // Current versions of the update targets (seeded at 1), so each update sends the right If-Match.
  const versions = new Map();
  const search = (params) => ({
    http: () => {
      const n = nhs();
      return { method: 'GET', path: q({ 'patient.identifier': `${NHS_SYSTEM}|${n}`, ...params }), vars: { nhs: n } };
    },
    pairs: (cap) => [[cap.nhs, nhs()]],
  });
  const list = {
    create: {
      http: () => {
        const ident = `perf-${randomUUID()}`;
        return {
          method: 'POST',
          path: `${FHIR}/Immunization`,
          body: JSON.stringify(body(TYPES[pick(3)], ident, nhs(), '2024-10-01T10:00:00+00:00')),
          vars: { ident },
        };
      },
      ok: 201,
      pairs: (cap) => [
        [cap.id, randomUUID()],
        [cap.ident, `perf-${randomUUID()}`],
      ],
    },
    read: {
      http: () => {
        const id = seededId(g());
        return { method: 'GET', path: `${FHIR}/Immunization/${id}`, vars: { id } };
      },
      pairs: (cap) => [[cap.id, seededId(g())]],
    },
    'update (If-Match)': {
      // A record is lent to one request at a time and comes back with its new version; one whose
      // answer never came (cut off at the end of a run) or was not 200 is not lent again.
      http: () => {
        const id = ctx.updatePool.shift();
        if (!id) throw new Error('update pool exhausted: enlarge it in bench/perf/run.js');
        const v = versions.get(id) ?? 1;
        const b = { ...ctx.stored(id), lotNumber: `LOT-${v + 1}` };
        delete b.meta;
        return {
          method: 'PUT',
          path: `${FHIR}/Immunization/${id}`,
          headers: { 'if-match': `W/"${v}"` },
          body: JSON.stringify(b),
          vars: { id, v },
        };
      },
      onResponse: (status, headers, vars) => {
        if (status !== 200) return;
        versions.set(vars.id, Number(/"(\d+)"/.exec(headers.etag ?? headers.ETag)[1]));
        ctx.updatePool.push(vars.id);
      },
      // The captured update moved record cap.id from cap.v to cap.v + 1: the replayed one moves
      // another record from its current version on, with the lot number the service would write.
      replayTarget: () => {
        const id = ctx.replayUpdatePool[ctx.replaySlot++ % ctx.replayUpdatePool.length];
        return { id, v: versions.get(id) ?? 1 };
      },
      pairs: (cap, t) => [
        [cap.id, t.id],
        [`"versionId":"${cap.v + 1}"`, `"versionId":"${t.v + 1}"`],
        [`LOT-${cap.v + 1}`, `LOT-${t.v + 1}`],
        { exact: String(cap.v), to: String(t.v) },
        { exact: String(cap.v + 1), to: String(t.v + 1) },
      ],
      after: (t) => versions.set(t.id, t.v + 1),
    },
    'search, patient 1 type': search({ '-immunization.target': 'FLU' }),
    'search, patient 3 types': search({ '-immunization.target': 'FLU,COVID,MMR' }),
    'search, patient 1 type + _include': search({ '-immunization.target': 'FLU', _include: 'Immunization:patient' }),
    'search, target-disease': search({ 'target-disease': 'http://snomed.info/sct|14189004' }),
    'search, identifier': {
      http: () => {
        const ident = `bench-${g()}`;
        return { method: 'GET', path: q({ identifier: `${ID_SYSTEM}|${ident}` }), vars: { ident } };
      },
      pairs: (cap) => [[cap.ident, `bench-${g()}`]],
    },
  };
  list.mixed = { mix: MIX };
  return { list, versions };
}

/** Picks a mixed workload's member for one request. */
function pickMix(mix) {
  let r = Math.random();
  for (const [name, share] of mix) if ((r -= share) < 0) return name;
  return mix[mix.length - 1][0];
}

module.exports = { workloads, seededId, pickMix, MIX };
