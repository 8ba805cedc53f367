import type { Immunization } from '@medplum/fhirtypes';
import { randomUUID } from 'node:crypto';
import { CommandHandler, ICommandHandler, QueryBus } from '@nestjs/cqrs';
import { isUniqueViolation } from '../../../database/database';
import { DomainError } from '../../../kernel/domain-error';
import { ImmunizationRecord, StoredImmunization } from '../../domain/immunization-record';
import { incomingFacts } from '../../domain/incoming-facts';
import { representation } from '../../domain/representation';
import { ImmunizationRepository } from '../../infrastructure/immunization.repository';
import { ImmunizationWriter } from '../immunization-writer';
import { assertCurrentNhsNumber } from '../assert-current-nhs-number';
import { assertValidImmunization } from '../validate-body';
import type { WriteResult } from '../write-result';
import { CreateImmunization } from './create-immunization.command';

const replay = (r: StoredImmunization): WriteResult => ({
  id: r.id,
  version: r.version,
  lastUpdated: r.lastUpdated,
  resource: r.resource,
  replayed: true,
});

@CommandHandler(CreateImmunization)
export class CreateImmunizationHandler implements ICommandHandler<CreateImmunization, WriteResult> {
  constructor(
    private readonly writer: ImmunizationWriter,
    private readonly repo: ImmunizationRepository,
    private readonly queries: QueryBus,
  ) {}

  async execute(cmd: CreateImmunization): Promise<WriteResult> {
    assertValidImmunization(cmd.body, { mode: 'create' });
    const facts = incomingFacts(cmd.body);
    await assertCurrentNhsNumber(this.queries, facts.nhsNumber);
    const supplier = cmd.principal.supplier.name;
    const retryKey = cmd.requestId ? { supplier, requestId: cmd.requestId, ttlHours: this.writer.config.idempotencyTtlHours } : null;
    try {
      return await this.writer.transact(async (tx) => {
        const found = await this.repo.findForCreate(tx, facts.identifier, retryKey);
        if (found.byRequestId) return { result: replay(found.byRequestId), change: null };
        const existing = found.byIdentifier;
        const decision = ImmunizationRecord.decideCreate(existing, facts, cmd.principal);
        const id = existing?.id ?? randomUUID();
        const at = new Date();
        const resource = representation(cmd.body as Immunization, id, decision.newVersion, at);
        const change = await this.writer.apply(tx, decision, { id, facts, supplier, resource, at, requestId: cmd.requestId }, existing);
        return { result: { id, version: decision.newVersion, lastUpdated: at, resource, replayed: false }, change };
      });
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      // A concurrent create took the identifier first. If it was this same request retried, answer
      // with its outcome; otherwise the identifier is a duplicate.
      if (retryKey) {
        const again = await this.writer.transact(async (tx) => ({
          result: await this.repo.findForCreate(tx, facts.identifier, retryKey),
          change: null,
        }));
        if (again.byRequestId) return replay(again.byRequestId);
      }
      throw DomainError.duplicate(
        `A live record already has identifier ${facts.identifier.system}|${facts.identifier.value}.`,
        'Immunization.identifier[0]',
      );
    }
  }
}
