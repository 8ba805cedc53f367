import { Command } from '@nestjs/cqrs';
import type { Principal } from '../../../auth/principal';

export interface MergeResult {
  /** Records that got a new version under the current number. */
  moved: number;
  /** The number the records now carry (the end of any chain). */
  current: string;
  /** False when the register already said so (a repeated merge): nothing was recorded. */
  recorded: boolean;
}

/**
 * PDS merged two patients: `from` is superseded by `to`. From $merge (principal: the caller, who
 * needs the patient-admin role), the CLI and inbound MNS events (principal null: trusted callers).
 */
export class MergePatient extends Command<MergeResult> {
  constructor(
    readonly from: string,
    readonly to: string,
    readonly principal: Principal | null,
    /** Who asked, for the register: `supplier:NAME`, `cli`, `mns:<event id>`. */
    readonly recordedBy: string,
  ) {
    super();
  }
}
