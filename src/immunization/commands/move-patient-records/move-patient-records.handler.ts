import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { ImmunizationRecord } from '../../domain/immunization-record';
import { storedFacts } from '../../domain/incoming-facts';
import { withNhsNumber } from '../../domain/moved-resource';
import { representation } from '../../domain/representation';
import { ImmunizationRepository } from '../../infrastructure/immunization.repository';
import { MovePatientRecords } from '../../public/move-patient-records.command';
import { ImmunizationWriter } from '../immunization-writer';

/**
 * A patient merge, the Immunization side: inside the Patient module's transaction, lock every
 * record of the old number(s) (one statement, id order so concurrent writers cannot deadlock us)
 * and give each a new version carrying the new number through the shared write path, in batches
(ImmunizationWriter.applyBatch: a few statements per batch, not per record). The version
 * keeps the record's supplier (whose record it is); the merge itself is recorded by the Patient module.
 */
/** Records written per batch: bounds the size of one statement's parameters (resources included). */
const BATCH = 500;

@CommandHandler(MovePatientRecords)
export class MovePatientRecordsHandler implements ICommandHandler<MovePatientRecords, { moved: number }> {
  constructor(
    private readonly writer: ImmunizationWriter,
    private readonly repo: ImmunizationRepository,
  ) {}

  async execute(cmd: MovePatientRecords): Promise<{ moved: number }> {
    const records = await this.repo.findByNhsNumbersForUpdate(cmd.tx, cmd.from);
    const at = new Date();
    for (let i = 0; i < records.length; i += BATCH) {
      const items = records.slice(i, i + BATCH).map((stored) => {
        const decision = ImmunizationRecord.decideMove(stored);
        const resource = representation(withNhsNumber(stored.resource, cmd.to), stored.id, decision.newVersion, at);
        return {
          decision,
          row: { id: stored.id, facts: storedFacts(stored, cmd.to), supplier: stored.supplier, resource },
          previous: stored,
        };
      });
      await this.writer.transact(async (tx) => ({ result: undefined, change: await this.writer.applyBatch(tx, items, at) }), cmd.tx);
    }
    return { moved: records.length };
  }
}
