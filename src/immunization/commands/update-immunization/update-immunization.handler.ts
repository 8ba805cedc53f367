import type { Immunization } from '@medplum/fhirtypes';
import { CommandHandler, ICommandHandler, QueryBus } from '@nestjs/cqrs';
import { ImmunizationRecord } from '../../domain/immunization-record';
import { incomingFacts } from '../../domain/incoming-facts';
import { representation } from '../../domain/representation';
import { ImmunizationRepository } from '../../infrastructure/immunization.repository';
import { ImmunizationWriter } from '../immunization-writer';
import { assertCurrentNhsNumber } from '../assert-current-nhs-number';
import { assertValidImmunization } from '../validate-body';
import type { WriteResult } from '../write-result';
import { UpdateImmunization } from './update-immunization.command';

@CommandHandler(UpdateImmunization)
export class UpdateImmunizationHandler implements ICommandHandler<UpdateImmunization, WriteResult> {
  constructor(
    private readonly writer: ImmunizationWriter,
    private readonly repo: ImmunizationRepository,
    private readonly queries: QueryBus,
  ) {}

  async execute(cmd: UpdateImmunization): Promise<WriteResult> {
    // docs/validation-rules.md §7 step 3 (steps 1–2, path id and version header, are HTTP's: the controller).
    assertValidImmunization(cmd.body, { mode: 'update', pathId: cmd.id });
    const facts = incomingFacts(cmd.body);
    await assertCurrentNhsNumber(this.queries, facts.nhsNumber);
    return this.writer.transact(async (tx) => {
      const stored = await this.repo.findById(tx, cmd.id);
      // Steps 4–7: exists, permissions, identifier kept, version (unless reinstating).
      const decision = ImmunizationRecord.decideUpdate(stored, cmd.id, facts, cmd.precondition, cmd.principal);
      const at = new Date();
      const resource = representation(cmd.body as Immunization, cmd.id, decision.newVersion, at);
      const change = await this.writer.apply(
        tx,
        decision,
        { id: cmd.id, facts, supplier: cmd.principal.supplier.name, resource, at, requestId: cmd.requestId },
        stored,
      );
      return { result: { id: cmd.id, version: decision.newVersion, lastUpdated: at, resource, replayed: false }, change };
    });
  }
}
