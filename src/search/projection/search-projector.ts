import { Injectable, OnModuleInit } from '@nestjs/common';
import type { Tx } from '../../database/database';
import { ChangeProjectors, ImmunizationChange, ImmunizationChangeProjector } from '../../immunization/public';
import { SearchProjectionRepository } from './search-projection.repository';

/**
 * Keeps search_immunization in step with the write side, inside the write transaction, so a search
 * right after a 201 finds the record (read-your-writes) and a rolled-back write leaves no trace.
 * Creates, updates and reinstates upsert the row; deletes remove it, so no search ever sees a deleted
 * record. Rows without an NHS number are kept: identifier search must find them.
 */
@Injectable()
export class SearchProjector implements ImmunizationChangeProjector, OnModuleInit {
  readonly name = 'search';

  constructor(
    private readonly projectors: ChangeProjectors,
    private readonly repo: SearchProjectionRepository,
  ) {}

  onModuleInit() {
    this.projectors.register(this);
  }

  async project(tx: Tx, change: ImmunizationChange): Promise<void> {
    // A deleted record that stays deleted (moved by a patient merge) has no row: nothing to do.
    if (change.operation === 'DELETE' && change.previous?.deleted) return;
    return this.repo.apply(tx, change);
  }

  projectMany(tx: Tx, changes: ImmunizationChange[]): Promise<void> {
    return this.repo.applyMany(
      tx,
      changes.filter((c) => !(c.operation === 'DELETE' && c.previous?.deleted)),
    );
  }
}
