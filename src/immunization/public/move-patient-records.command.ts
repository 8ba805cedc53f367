import { Command } from '@nestjs/cqrs';
import type { Tx } from '../../database/database';

/**
 * Sent by the Patient module inside its merge transaction: give every record (live or deleted)
 * whose contained Patient carries one of `from` a new version carrying `to`, through the normal
 * write path (guarded row write, event row, projectors), in the caller's transaction `tx`.
 */
export class MovePatientRecords extends Command<{ moved: number }> {
  constructor(
    readonly tx: Tx,
    readonly from: string[],
    readonly to: string,
  ) {
    super();
  }
}
