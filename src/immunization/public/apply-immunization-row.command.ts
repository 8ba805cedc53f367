import { Command } from '@nestjs/cqrs';
import type { Principal } from '../../auth/principal';
import type { Tx } from '../../database/database';
import type { ImmunizationChange } from './immunization-change';

/** What a batch row asks for (ACTION_FLAG): records are found by identifier, not by id. */
export type RowAction = 'NEW' | 'UPDATE' | 'DELETE';

export interface AppliedRow {
  id: string;
  version: number;
  /** The committed-with-the-transaction change; publish ImmunizationChanged for it after commit. */
  change: ImmunizationChange;
}

/**
 * One batch row, applied inside the caller's transaction (the batch file's progress commits in the
 * same one) through the same validation, aggregate decisions and writer as the API's commands:
 * a row leaves exactly the trace an API call does (current row, event, search projection,
 * notification outbox).
 *
 * - NEW: as POST (validated as a create; a live identifier is a duplicate, a deleted one is reinstated).
 * - UPDATE: as PUT on the record holding the identifier, with no version check (a file has no E-Tag);
 *   the body is validated as an update of that record.
 * - DELETE: as DELETE on the record holding the identifier (`body` is not used).
 *
 * Client-caused failures throw FhirError, before anything is written. Any other error may leave
 * the transaction unusable: the caller must roll back (to a savepoint).
 */
export class ApplyImmunizationRow extends Command<AppliedRow> {
  constructor(
    readonly tx: Tx,
    readonly action: RowAction,
    readonly identifier: { system: string; value: string },
    readonly body: Record<string, unknown> | null,
    readonly principal: Principal,
  ) {
    super();
  }
}
