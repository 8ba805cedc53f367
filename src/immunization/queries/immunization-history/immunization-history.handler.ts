import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { Database } from '../../../database/database';
import { DomainError } from '../../../kernel/domain-error';
import { ImmunizationRecord } from '../../domain/immunization-record';
import { VaccineType } from '../../../kernel/terminology';
import { EventLogReader } from '../../infrastructure/event-log.reader';
import { RecordedVersion, recordedVersion } from '../recorded-version';
import { ChangeFeedPage, ImmunizationChangeFeed, ImmunizationHistory } from './immunization-history.query';

@QueryHandler(ImmunizationHistory)
export class ImmunizationHistoryHandler implements IQueryHandler<ImmunizationHistory, RecordedVersion[]> {
  constructor(
    private readonly db: Database,
    private readonly events: EventLogReader,
  ) {}

  async execute(q: ImmunizationHistory): Promise<RecordedVersion[]> {
    const events = await this.events.history(this.db, q.id);
    if (events.length === 0) throw DomainError.notFound(`Immunization ${q.id} does not exist.`);
    // The record's current type decides, as for read; deleted records' history stays readable.
    ImmunizationRecord.assertCanRead(events[0].vaccine_type, q.principal);
    return events.map(recordedVersion);
  }
}

@QueryHandler(ImmunizationChangeFeed)
export class ImmunizationChangeFeedHandler implements IQueryHandler<ImmunizationChangeFeed, ChangeFeedPage> {
  constructor(
    private readonly db: Database,
    private readonly events: EventLogReader,
  ) {}

  async execute(q: ImmunizationChangeFeed): Promise<ChangeFeedPage> {
    const types = q.principal.supplier.permissions.filter('read', VaccineType.all());
    if (types.length === 0) throw DomainError.forbidden(`Supplier ${q.principal.supplier.name} may not read any vaccine type.`);
    const rows = await this.events.changeFeed(this.db, { since: q.since, after: q.after, types, limit: q.count + 1 });
    const events = rows.slice(0, q.count);
    const last = events[events.length - 1];
    return { events: events.map(recordedVersion), next: rows.length > q.count && last ? { txid: last.txid, seq: last.seq } : null };
  }
}
