import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { ImmunizationRecord } from '../../domain/immunization-record';
import { withNhsNumber } from '../../domain/moved-resource';
import { representation } from '../../domain/representation';
import { ImmunizationRepository } from '../../infrastructure/immunization.repository';
import { MovePatientRecords } from '../../public/move-patient-records.command';
import { ImmunizationWriter } from '../immunization-writer';

/**
 * A patient merge, the Immunization side: inside the Patient module's transaction, lock every
 * record of the old number(s) (one statement, id order so concurrent writers cannot deadlock us)
 * and give each a new version carrying the new number through the shared write path. The version
 * keeps the record's supplier (whose record it is); the merge itself is recorded by the Patient module.
 */
@CommandHandler(MovePatientRecords)
export class MovePatientRecordsHandler implements ICommandHandler<MovePatientRecords, { moved: number }> {
  constructor(
    private readonly writer: ImmunizationWriter,
    private readonly repo: ImmunizationRepository,
  ) {}

  async execute(cmd: MovePatientRecords): Promise<{ moved: number }> {
    const records = await this.repo.findByNhsNumbersForUpdate(cmd.tx, cmd.from);
    const at = new Date();
    for (const stored of records) {
      await this.writer.transact(async (tx) => {
        const decision = ImmunizationRecord.decideMove(stored);
        const resource = representation(withNhsNumber(stored.resource, cmd.to), stored.id, decision.newVersion, at);
        const facts = {
          vaccineType: stored.vaccineType,
          nhsNumber: cmd.to,
          identifier: { system: stored.identifierSystem, value: stored.identifierValue },
          occurrence: stored.occurrence,
        };
        const change = await this.writer.apply(tx, decision, { id: stored.id, facts, supplier: stored.supplier, resource, at, requestId: null }, stored);
        return { result: undefined, change };
      }, cmd.tx);
    }
    return { moved: records.length };
  }
}
