import type { Immunization } from '@medplum/fhirtypes';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { Database } from '../../../database/database';
import { EventLogReader } from '../../infrastructure/event-log.reader';
import { ExportChanges, ExportPage } from '../../public/export-changes.query';
import { recordedVersion } from '../recorded-version';
import { VaccineType } from '../../../kernel/terminology';

@QueryHandler(ExportChanges)
export class ExportChangesHandler implements IQueryHandler<ExportChanges, ExportPage> {
  constructor(
    private readonly db: Database,
    private readonly events: EventLogReader,
  ) {}

  async execute(q: ExportChanges): Promise<ExportPage> {
    const rows = await this.events.changeFeed(this.db, { since: q.since, after: q.after, types: VaccineType.all(), limit: q.count + 1 });
    const page = rows.slice(0, q.count);
    const last = page[page.length - 1];
    return {
      changes: page.map((r) => {
        const v = recordedVersion(r);
        return { seq: r.seq, txid: r.txid, ...v, resource: v.resource.parse<Immunization>(), supplier: r.supplier ?? '' };
      }),
      next: rows.length > q.count && last ? { txid: last.txid, seq: last.seq } : null,
    };
  }
}
