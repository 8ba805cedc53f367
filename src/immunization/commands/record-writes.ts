import type { Immunization } from '@medplum/fhirtypes';
import type { Tx } from '../../database/database';
import type { ChangeOperation } from '../public/immunization-change';

/** One record's current row as the writer sets it. */
export interface RowWrite {
  id: string;
  version: number;
  identifier: { system: string; value: string };
  nhsNumber: string | null;
  vaccineType: string;
  occurrence: string;
  supplier: string;
  resource: Immunization;
  at: Date;
}

/** What the aggregate's decision was based on: the write succeeds only if the row is still so. */
export interface VersionGuard {
  expectedVersion: number;
  wasDeleted: boolean;
}

/** One row of the append-only event log. */
export interface EventWrite {
  id: string;
  version: number;
  operation: ChangeOperation;
  supplier: string;
  vaccineType: string;
  resource: Immunization;
}

/**
 * The writer's seam to storage (ImmunizationRepository implements it with SQL): the current-row
 * writes and the event log, single and batched. Guarded writes answer whether (or how many) rows
 * were still as the decision saw them; the writer turns a shortfall into the decision's conflict.
 * An abstract class so that Nest can inject it by this name.
 */
export abstract class RecordWrites {
  abstract insert(tx: Tx, w: RowWrite): Promise<void>;
  abstract insertMany(tx: Tx, writes: RowWrite[], at: Date): Promise<void>;
  abstract updateGuarded(tx: Tx, w: RowWrite, guard: VersionGuard, o?: { stayDeleted: boolean }): Promise<boolean>;
  abstract updateGuardedMany(tx: Tx, writes: { w: RowWrite; guard: VersionGuard; stayDeleted: boolean }[], at: Date): Promise<number>;
  abstract markDeleted(tx: Tx, id: string, expectedVersion: number, at: Date): Promise<boolean>;
  abstract markDeletedMany(tx: Tx, rows: { id: string; expectedVersion: number }[], at: Date): Promise<number>;
  /** The writer does not use what these return (the repository hands back sequence numbers). */
  abstract appendEvent(tx: Tx, e: EventWrite & { requestId: string | null; at: Date }): Promise<unknown>;
  abstract appendEvents(tx: Tx, events: EventWrite[], at: Date): Promise<unknown>;
}
