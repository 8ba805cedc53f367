import type { Immunization } from '@medplum/fhirtypes';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { Database } from '../../../database/database';
import { ImmunizationRepository } from '../../infrastructure/immunization.repository';
import { ExportChanges, ExportPage } from '../../public/export-changes.query';
import { VaccineType } from '../../domain/vaccine-type';

@QueryHandler(ExportChanges)
export class ExportChangesHandler implements IQueryHandler<ExportChanges, ExportPage> {
  constructor(
    private readonly db: Database,
    private readonly repo: ImmunizationRepository,
  ) {}

  async execute(q: ExportChanges): Promise<ExportPage> {
    const rows = await this.repo.changeFeed(this.db, { since: q.since, after: q.after, types: VaccineType.all(), limit: q.count + 1 });
    const page = rows.slice(0, q.count);
    const last = page[page.length - 1];
    return {
      changes: page.map((r) => ({
        seq: r.seq,
        txid: r.txid,
        id: r.immunization_id,
        version: r.version,
        operation: r.operation,
        supplier: r.supplier ?? '',
        vaccineType: r.vaccine_type,
        resource: JSON.parse(r.resource_json) as Immunization,
        recordedAt: new Date(r.recorded_at),
      })),
      next: rows.length > q.count && last ? { txid: last.txid, seq: last.seq } : null,
    };
  }
}
