import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { ImmunizationRecord } from '../../domain/immunization-record';
import { storedFacts } from '../../domain/incoming-facts';
import { ImmunizationRepository } from '../../infrastructure/immunization.repository';
import { ImmunizationWriter } from '../immunization-writer';
import { DeleteImmunization } from './delete-immunization.command';

@CommandHandler(DeleteImmunization)
export class DeleteImmunizationHandler implements ICommandHandler<DeleteImmunization, void> {
  constructor(
    private readonly writer: ImmunizationWriter,
    private readonly repo: ImmunizationRepository,
  ) {}

  async execute(cmd: DeleteImmunization): Promise<void> {
    await this.writer.transact(async (tx) => {
      const stored = await this.repo.findById(tx, cmd.id);
      const decision = ImmunizationRecord.decideDelete(stored, cmd.id, cmd.principal);
      const s = stored!;
      const change = await this.writer.apply(
        tx,
        decision,
        {
          id: s.id,
          facts: storedFacts(s),
          supplier: cmd.principal.supplier.name,
          resource: s.resource,
          at: new Date(),
          requestId: cmd.requestId,
        },
        s,
      );
      return { result: undefined, change };
    });
  }
}
