import { Command } from '@nestjs/cqrs';
import type { Principal } from '../../auth/principal';
import type { Tx } from '../../database/database';
import type { DomainError } from '../../kernel/domain-error';
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
 * Client-caused failures throw DomainError, before anything is written. Any other error may leave
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

/** One row's result in ApplyImmunizationRows: its change, or the client-caused DomainError it failed with. */
export type RowResult = { ok: true; change: ImmunizationChange } | { ok: false; error: DomainError };

/**
 * Many rows (a batch chunk), in the caller's transaction, each with exactly ApplyImmunizationRow's
 * semantics and trace, in a constant number of statements per run of distinct identifiers: one
 * identifier lookup, validation and decisions in memory, then the batched writes. A row of an
 * identifier already seen in the run starts a new run, so rows of one identifier apply in order.
 * Results come back in the rows' order; a failing row fails alone (nothing written for it).
 * Any other error may leave the transaction unusable: roll back and apply the rows one by one.
 */
export class ApplyImmunizationRows extends Command<RowResult[]> {
  constructor(
    readonly tx: Tx,
    readonly rows: { action: RowAction; identifier: { system: string; value: string }; body: Record<string, unknown> | null }[],
    readonly principal: Principal,
  ) {
    super();
  }
}
