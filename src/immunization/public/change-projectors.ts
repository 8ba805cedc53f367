import { Injectable } from '@nestjs/common';
import type { Tx } from '../../database/database';
import type { ImmunizationChange, ImmunizationChangeProjector } from './immunization-change';

/**
 * The in-transaction fan-out of write-side changes. Other modules register their projector at
 * start-up (onModuleInit); the Immunization module never imports them and they never touch its tables.
 */
@Injectable()
export class ChangeProjectors {
  private readonly projectors: ImmunizationChangeProjector[] = [];

  register(projector: ImmunizationChangeProjector) {
    if (this.projectors.some((p) => p.name === projector.name)) throw new Error(`projector ${projector.name} registered twice`);
    this.projectors.push(projector);
  }

  get names(): string[] {
    return this.projectors.map((p) => p.name);
  }

  async project(tx: Tx, change: ImmunizationChange) {
    for (const p of this.projectors) await p.project(tx, change);
  }

  /** Many changes of one transaction, in order: each projector's batch form when it has one. */
  async projectMany(tx: Tx, changes: ImmunizationChange[]) {
    if (changes.length === 0) return;
    for (const p of this.projectors) {
      if (p.projectMany) await p.projectMany(tx, changes);
      else for (const c of changes) await p.project(tx, c);
    }
  }
}
