import { Injectable, OnModuleInit } from '@nestjs/common';
import type { Tx } from '../../database/database';
import { ChangeProjectors, ImmunizationChange, ImmunizationChangeProjector } from '../../immunization/public';
import { sourceOrganisationOf, subjectAgeOf } from '../domain/change-facts';
import { OutboxEntry, OutboxStore } from '../infrastructure/outbox.store';

/**
 * The in-transaction half of the outbox: one INSERT per change, in the write transaction, so a
 * change commits with its signal or not at all. One row per change whatever the number of
 * subscriptions (the relay fans out), which keeps the write path's cost flat. It carries the
 * filter facts (type, action, source organisation, supplier, age at the event) so the relay never
 * reads the Immunization tables. Records without an NHS number raise no event: no statement at all.
 */
@Injectable()
export class OutboxProjector implements ImmunizationChangeProjector, OnModuleInit {
  readonly name = 'notification-outbox';

  constructor(
    private readonly projectors: ChangeProjectors,
    private readonly store: OutboxStore,
  ) {}

  onModuleInit() {
    this.projectors.register(this);
  }

  async project(tx: Tx, change: ImmunizationChange): Promise<void> {
    const row = outboxRow(change);
    if (row) await this.store.append(tx, row);
  }

  /** A patient merge's changes: one INSERT for the lot. */
  async projectMany(tx: Tx, changes: ImmunizationChange[]): Promise<void> {
    await this.store.appendMany(
      tx,
      changes.map(outboxRow).filter((r) => r !== null),
    );
  }
}

function outboxRow(change: ImmunizationChange): OutboxEntry | null {
  if (change.nhsNumber === null) return null;
  // A deleted record that stays deleted (moved by a patient merge): subscribers already heard of the delete.
  if (change.operation === 'DELETE' && change.previous?.deleted) return null;
  return {
    id: change.id,
    version: change.version,
    operation: change.operation,
    supplier: change.supplier,
    vaccineType: change.vaccineType,
    nhsNumber: change.nhsNumber,
    sourceOrganisation: sourceOrganisationOf(change.resource),
    subjectAge: subjectAgeOf(change.resource, change.recordedAt),
    recordedAt: change.recordedAt,
  };
}
