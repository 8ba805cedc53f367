import type { Immunization } from '@medplum/fhirtypes';
import type { Tx } from '../../database/database';

export type ChangeOperation = 'CREATE' | 'UPDATE' | 'DELETE';

/**
 * One committed change to an Immunization record: the row appended to the event log, as the
 * other modules see it. `resource` is the full representation at `version` (for a DELETE, the
 * representation that was deleted).
 */
export interface ImmunizationChange {
  id: string;
  version: number;
  operation: ChangeOperation;
  supplier: string;
  vaccineType: string;
  nhsNumber: string | null;
  /** occurrenceDateTime as sent (a date or a date-time with offset). */
  occurrence: string;
  identifier: { system: string; value: string };
  resource: Immunization;
  recordedAt: Date;
  /**
   * The record before this change, for projections that move rows (null on a first create).
   * `deleted` with operation DELETE: a record that was and stays deleted got a new version (a
   * patient merge moved it); nothing a subscriber or search needs to hear about.
   */
  previous: { vaccineType: string; nhsNumber: string | null; deleted: boolean } | null;
}

/**
 * Something another module keeps in step with the write side *inside the write transaction*
 * (the search projection, the notification outbox). Registered with ChangeProjectors; it must use
 * only the given transaction and issue as few statements as it can (the write path is budgeted).
 */
export interface ImmunizationChangeProjector {
  readonly name: string;
  project(tx: Tx, change: ImmunizationChange): Promise<void>;
  /**
   * Optional: the same for many changes of one transaction (a patient merge moving a patient's
   * records), in as few statements as possible. Without it, project() runs once per change.
   */
  projectMany?(tx: Tx, changes: ImmunizationChange[]): Promise<void>;
}
