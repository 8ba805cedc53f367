import { randomUUID } from 'node:crypto';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Errors } from '../../../fhir/operation-outcome';
import { ImmunizationRecord, StoredImmunization } from '../../domain/immunization-record';
import { incomingFacts } from '../../domain/incoming-facts';
import { representation } from '../../domain/representation';
import { ImmunizationRepository } from '../../infrastructure/immunization.repository';
import { AppliedRow, ApplyImmunizationRow } from '../../public/apply-immunization-row.command';
import { ImmunizationWriter } from '../immunization-writer';
import { assertValidImmunization } from '../validate-body';

const label = (i: { system: string; value: string }) => `${i.system}|${i.value}`;

@CommandHandler(ApplyImmunizationRow)
export class ApplyImmunizationRowHandler implements ICommandHandler<ApplyImmunizationRow, AppliedRow> {
  constructor(
    private readonly writer: ImmunizationWriter,
    private readonly repo: ImmunizationRepository,
  ) {}

  async execute(cmd: ApplyImmunizationRow): Promise<AppliedRow> {
    const { tx, principal } = cmd;
    const supplier = principal.supplier.name;
    if (cmd.action === 'NEW') {
      assertValidImmunization(cmd.body, { mode: 'create' });
      const facts = incomingFacts(cmd.body);
      const existing = (await this.repo.findForCreate(tx, facts.identifier, null)).byIdentifier;
      const decision = ImmunizationRecord.decideCreate(existing, facts, principal);
      const id = existing?.id ?? randomUUID();
      const at = new Date();
      const resource = representation(cmd.body, id, decision.newVersion, at);
      const change = await this.writer.apply(tx, decision, { id, facts, supplier, resource, at, requestId: null }, existing);
      return { id, version: decision.newVersion, change };
    }
    const stored: StoredImmunization | null = (await this.repo.findForCreate(tx, cmd.identifier, null)).byIdentifier;
    if (cmd.action === 'UPDATE') {
      if (stored === null) throw Errors.notFound(`No record has identifier ${label(cmd.identifier)}: nothing to update.`);
      const body = { ...(cmd.body ?? {}), id: stored.id };
      assertValidImmunization(body, { mode: 'update', pathId: stored.id });
      const facts = incomingFacts(body);
      // No E-Tag in a file: the update is based on whatever version is stored.
      const decision = ImmunizationRecord.decideUpdate(stored, stored.id, facts, { version: stored.version, via: 'E-Tag' }, principal);
      const at = new Date();
      const resource = representation(body, stored.id, decision.newVersion, at);
      const change = await this.writer.apply(tx, decision, { id: stored.id, facts, supplier, resource, at, requestId: null }, stored);
      return { id: stored.id, version: decision.newVersion, change };
    }
    if (stored === null || stored.deleted)
      throw Errors.notFound(`No live record has identifier ${label(cmd.identifier)}: nothing to delete.`);
    const decision = ImmunizationRecord.decideDelete(stored, stored.id, principal);
    const facts = {
      vaccineType: stored.vaccineType,
      nhsNumber: stored.nhsNumber,
      identifier: cmd.identifier,
      occurrence: stored.occurrence,
    };
    const change = await this.writer.apply(
      tx,
      decision,
      { id: stored.id, facts, supplier, resource: stored.resource, at: new Date(), requestId: null },
      stored,
    );
    return { id: stored.id, version: decision.newVersion, change };
  }
}
