import { Injectable } from '@nestjs/common';
import type { SqlExecutor, Tx } from '../../database/database';

export interface RegisterEntry {
  nhsNumber: string;
  status: 'superseded' | 'invalidated';
  /** The current number (chains are compressed), for a superseded one. */
  supersededBy: string | null;
}

interface Row {
  nhs_number: string;
  status: 'superseded' | 'invalidated';
  superseded_by: string | null;
}

const toEntry = (r: Row): RegisterEntry => ({ nhsNumber: r.nhs_number, status: r.status, supersededBy: r.superseded_by });

/** Arbitrary but fixed: merges take this transaction lock so chains are rewritten one merge at a time. */
const MERGE_LOCK = 7_341_010;

/** All SQL of the register of superseded and invalidated NHS numbers. */
@Injectable()
export class PatientRegisterRepository {
  /** One primary-key lookup. */
  async find(db: SqlExecutor, nhsNumber: string): Promise<RegisterEntry | null> {
    const { rows } = await db.query<Row>(
      `SELECT nhs_number, status, superseded_by FROM patient_nhs_number_register WHERE nhs_number = $1`,
      [nhsNumber],
    );
    return rows.length ? toEntry(rows[0]) : null;
  }

  async isEmpty(db: SqlExecutor): Promise<boolean> {
    const { rows } = await db.query<{ any: boolean }>(`SELECT EXISTS (SELECT 1 FROM patient_nhs_number_register) AS any`);
    return !rows[0].any;
  }

  /** Merges are rare: serialising them (per database) keeps chain compression simple and race-free. */
  async lockForMerge(tx: Tx): Promise<void> {
    await tx.query(`SELECT pg_advisory_xact_lock($1)`, [MERGE_LOCK]);
  }

  /** Both numbers' entries in one statement. */
  async findBoth(tx: Tx, a: string, b: string): Promise<Map<string, RegisterEntry>> {
    const { rows } = await tx.query<Row>(
      `SELECT nhs_number, status, superseded_by FROM patient_nhs_number_register WHERE nhs_number = ANY ($1::text[])`,
      [[a, b]],
    );
    return new Map(rows.map((r) => [r.nhs_number, toEntry(r)]));
  }

  /**
   * Records old → current and re-points every number that pointed at `old` (chain compression),
   * in one statement. Returns the numbers re-pointed: their records (if any straggled) move too.
   */
  async supersede(tx: Tx, old: string, current: string, recordedBy: string): Promise<string[]> {
    const { rows } = await tx.query<{ nhs_number: string }>(
      `WITH entry AS (
         INSERT INTO patient_nhs_number_register (nhs_number, status, superseded_by, recorded_by)
         VALUES ($1, 'superseded', $2, $3)
         ON CONFLICT (nhs_number) DO UPDATE SET status = 'superseded', superseded_by = $2, recorded_by = $3, recorded_at = now()
         RETURNING nhs_number
       )
       UPDATE patient_nhs_number_register SET superseded_by = $2
        WHERE superseded_by = $1 AND (SELECT count(*) FROM entry) = 1
       RETURNING nhs_number`,
      [old, current, recordedBy],
    );
    return rows.map((r) => r.nhs_number);
  }

  /** Marks a number invalid unless the register already knows it (a superseded number stays superseded). */
  async invalidate(db: SqlExecutor, nhsNumber: string, recordedBy: string): Promise<boolean> {
    const { rows } = await db.query(
      `INSERT INTO patient_nhs_number_register (nhs_number, status, superseded_by, recorded_by)
       VALUES ($1, 'invalidated', NULL, $2) ON CONFLICT (nhs_number) DO NOTHING RETURNING nhs_number`,
      [nhsNumber, recordedBy],
    );
    return rows.length === 1;
  }
}
