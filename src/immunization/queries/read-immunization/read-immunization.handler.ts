import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { Database } from '../../../database/database';
import { StoredJson } from '../../../fhir/fhir-json';
import { DomainError } from '../../../kernel/domain-error';
import { ImmunizationRecord } from '../../domain/immunization-record';
import { EventLogReader } from '../../infrastructure/event-log.reader';
import { ImmunizationRepository } from '../../infrastructure/immunization.repository';
import { recordedVersion } from '../recorded-version';
import { ReadImmunization, ReadResult } from './read-immunization.query';

@QueryHandler(ReadImmunization)
export class ReadImmunizationHandler implements IQueryHandler<ReadImmunization, ReadResult> {
  constructor(
    private readonly db: Database,
    private readonly repo: ImmunizationRepository,
    private readonly events: EventLogReader,
  ) {}

  async execute(q: ReadImmunization): Promise<ReadResult> {
    if (q.version === null) {
      const r = await this.repo.readCurrent(this.db, q.id);
      if (r === null || r.deleted) throw DomainError.notFound(`Immunization ${q.id} does not exist.`);
      ImmunizationRecord.assertCanRead(r.vaccine_type, q.principal);
      return { id: r.id, version: r.version, lastUpdated: new Date(r.updated_at), resource: new StoredJson(r.resource_json) };
    }
    const row = await this.events.version(this.db, q.id, q.version);
    if (row === null) throw DomainError.notFound(`Immunization ${q.id} has no version ${q.version}.`);
    const v = recordedVersion(row);
    ImmunizationRecord.assertCanRead(v.vaccineType, q.principal);
    return { id: q.id, version: v.version, lastUpdated: v.recordedAt, resource: v.resource };
  }
}
