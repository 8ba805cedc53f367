import type { Immunization } from '@medplum/fhirtypes';
import { Query } from '@nestjs/cqrs';

export interface ExportedChange {
  seq: string;
  txid: string;
  id: string;
  version: number;
  operation: 'CREATE' | 'UPDATE' | 'DELETE';
  supplier: string;
  vaccineType: string;
  resource: Immunization;
  recordedAt: Date;
}

export interface ExportPage {
  changes: ExportedChange[];
  /** Where the next page starts, when there may be more. */
  next: { txid: string; seq: string } | null;
}

/**
 * Every change of every vaccine type since an instant, oldest first, in the change feed's
 * commit-safe (txid, seq) order. No permission check: the caller (the delta export) checks its role.
 */
export class ExportChanges extends Query<ExportPage> {
  constructor(
    readonly since: Date | null,
    readonly after: { txid: string; seq: string } | null,
    readonly count: number,
  ) {
    super();
  }
}
