import { createHash } from 'node:crypto';
import { immunization, nhsNumber } from '../../support/immunization-fixture';

/**
 * Bulk rows for search_immunization, written by ONE `INSERT … SELECT generate_series` straight into
 * the projection (no HTTP, no write side): fast enough for 100,000 rows on PostgreSQL and PGlite.
 * Everything is derived from the row number g, and `expected*` recompute the same derivation in
 * JavaScript, so tests compare against the generator, never against hard-coded answers.
 */
export const SEED_TYPES = ['FLU', 'COVID', 'MMR', 'RSV', 'HPV'];
export const SEED_IDENTIFIER_SYSTEM = 'https://seed.example/ids';

export interface SeedPlan {
  rows: number;
  /** Patients the rows after the heavy ones are spread over (row g → patients[g % patients.length]). */
  patients: string[];
  /** One patient owning rows 1..heavyRows (a long history, for paging). */
  heavy: string;
  heavyRows: number;
}

export function seedPlan(rows: number, patientCount: number, heavyRows: number): SeedPlan {
  const seen = new Set<string>();
  let stem = 400_000_000;
  const next = () => {
    let n: string;
    do n = nhsNumber(stem++);
    while (seen.has(n));
    seen.add(n);
    return n;
  };
  const heavy = next();
  return { rows, heavy, heavyRows, patients: Array.from({ length: patientCount }, next) };
}

/** md5('seed' || g) as PostgreSQL's md5(…)::uuid renders it. */
export const seedId = (g: number) => {
  const h = createHash('md5').update(`seed${g}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};
export const seedNhs = (p: SeedPlan, g: number) => (g <= p.heavyRows ? p.heavy : p.patients[g % p.patients.length]);
export const seedType = (g: number) => SEED_TYPES[Math.floor(g / 7) % SEED_TYPES.length];
/** Occurrence instant (ms): a spread of days over ten years plus minutes, with deliberate ties. */
export const seedOccurrence = (g: number) => Date.UTC(2015, 0, 1) + ((g * 7919) % 3650) * 86_400_000 + (g % 1440) * 60_000;

/** A valid stored representation with placeholders the INSERT fills per row (key order as the write side stores it). */
function template(): string {
  const { resourceType, ...rest } = immunization({
    nhsNumber: '__NHS__',
    identifierValue: '__ID__',
    identifierSystem: SEED_IDENTIFIER_SYSTEM,
    occurrenceDateTime: '__OCC__',
  });
  return JSON.stringify({ resourceType, id: '__ID__', meta: { versionId: '1', lastUpdated: '2025-01-01T00:00:00.000Z' }, ...rest });
}

export function seedStatement(p: SeedPlan): { text: string; params: unknown[] } {
  return {
    text: `INSERT INTO search_immunization
        (id, nhs_number, vaccine_type, occurrence, occurrence_date, identifier_system, identifier_value, version, resource)
      SELECT id, nhs, vt, occ, (occ AT TIME ZONE 'UTC')::date, $6, id::text, 1,
             replace(replace(replace($5::text, '__ID__', id::text), '__NHS__', nhs),
                     '__OCC__', to_char(occ AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'))::json
        FROM (SELECT md5('seed' || g)::uuid AS id,
                     CASE WHEN g <= $3 THEN $4::text ELSE ($2::text[])[1 + g % cardinality($2::text[])] END AS nhs,
                     ($7::text[])[1 + (g / 7) % cardinality($7::text[])] AS vt,
                     timestamptz '2015-01-01 00:00:00+00' + ((g * 7919) % 3650) * interval '1 day' + (g % 1440) * interval '1 minute' AS occ
                FROM generate_series(1, $1::int) g) s`,
    params: [p.rows, p.patients, p.heavyRows, p.heavy, template(), SEED_IDENTIFIER_SYSTEM, SEED_TYPES],
  };
}

/** The seeded rows of one patient of the given types, in result order (newest first, then id). */
export function expectedIds(p: SeedPlan, nhs: string, types: string[]): string[] {
  const rows: { id: string; at: number }[] = [];
  for (let g = 1; g <= p.rows; g++) {
    if (seedNhs(p, g) === nhs && types.includes(seedType(g))) rows.push({ id: seedId(g), at: seedOccurrence(g) });
  }
  return rows.sort((a, b) => b.at - a.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((r) => r.id);
}
