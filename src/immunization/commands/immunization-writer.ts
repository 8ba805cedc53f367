import type { Immunization } from '@medplum/fhirtypes';
import { Inject, Injectable } from '@nestjs/common';
import { EventBus } from '@nestjs/cqrs';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { Database, isRetryableTxFailure, Tx } from '../../database/database';
import { DomainError } from '../../kernel/domain-error';
import { JsonLogger } from '../../logging/json-logger';
import { ConcurrentChange, StoredImmunization, WriteDecision, IncomingFacts } from '../domain/immunization-record';
import { ChangeProjectors } from '../public/change-projectors';
import { EventWrite, RecordWrites, RowWrite } from './record-writes';
import type { ImmunizationChange } from '../public/immunization-change';
import { ImmunizationChanged } from '../public/immunization-changed.event';

const MAX_ATTEMPTS = 3;

/** A record as a decision will write it. */
export interface Row {
  id: string;
  facts: IncomingFacts;
  supplier: string;
  resource: Immunization;
}

/** A decision with the row it writes and the record it was taken on (null: none stored). */
export interface Planned {
  decision: WriteDecision;
  row: Row;
  previous: StoredImmunization | null;
}

const rowWrite = (d: WriteDecision, row: Row, at: Date): RowWrite => ({
  id: row.id,
  version: d.newVersion,
  identifier: row.facts.identifier,
  nhsNumber: row.facts.nhsNumber,
  vaccineType: row.facts.vaccineType,
  occurrence: row.facts.occurrence,
  supplier: row.supplier,
  resource: row.resource,
  at,
});

const eventWrite = (d: WriteDecision, row: Row): EventWrite => ({
  id: row.id,
  version: d.newVersion,
  operation: d.operation,
  supplier: row.supplier,
  vaccineType: row.facts.vaccineType,
  resource: row.resource,
});

const changeOf = ({ decision: d, row, previous }: Planned, at: Date): ImmunizationChange => ({
  id: row.id,
  version: d.newVersion,
  operation: d.operation,
  supplier: row.supplier,
  vaccineType: row.facts.vaccineType,
  nhsNumber: row.facts.nhsNumber,
  occurrence: row.facts.occurrence,
  identifier: row.facts.identifier,
  resource: row.resource,
  recordedAt: at,
  previous: previous ? { vaccineType: previous.vaccineType, nhsNumber: previous.nhsNumber, deleted: previous.deleted } : null,
});

/**
 * The shared write path (docs/architecture.md): one transaction per change that writes the current
 * row with a single version-guarded statement, appends the event row, and hands the change to the
 * registered projectors; after commit the change is published on the EventBus.
 */
@Injectable()
export class ImmunizationWriter {
  constructor(
    private readonly db: Database,
    private readonly store: RecordWrites,
    private readonly projectors: ChangeProjectors,
    private readonly events: EventBus,
    private readonly logger: JsonLogger,
    @Inject(APP_CONFIG) readonly config: AppConfig,
  ) {}

  /**
   * Runs a write transaction, retrying from the top on serialization failures and lost races.
   * With `outer`, the work joins a transaction someone else opened (a patient merge): no retry here
   * (the owner retries from its top) and the change is published after *that* transaction commits.
   */
  async transact<T>(
    work: (tx: Tx) => Promise<{ result: T; change: ImmunizationChange | ImmunizationChange[] | null }>,
    outer?: Tx,
  ): Promise<T> {
    if (outer) {
      const { result, change } = await work(outer);
      if (change) outer.afterCommit(() => this.publish(change));
      return result;
    }
    for (let attempt = 1; ; attempt++) {
      try {
        const { result, change } = await this.db.withTransaction(work);
        if (change) this.publish(change);
        return result;
      } catch (e) {
        if (attempt < MAX_ATTEMPTS && (e instanceof ConcurrentChange || isRetryableTxFailure(e))) continue;
        // Lost the race every time: a transient condition, not a server fault.
        if (e instanceof ConcurrentChange)
          throw DomainError.contention('The record kept changing while this request was applied; nothing was changed. Retry.');
        throw e;
      }
    }
  }

  /** Applies a decision: the guarded row write, the event row, the projections. Returns the change. */
  async apply(
    tx: Tx,
    d: WriteDecision,
    row: Row & { at: Date; requestId: string | null },
    previous: StoredImmunization | null,
  ): Promise<ImmunizationChange> {
    const write = rowWrite(d, row, row.at);
    if (d.operation === 'DELETE' && d.guard?.wasDeleted) {
      // A deleted record changed in place (a patient merge): a new version that stays deleted.
      if (!(await this.store.updateGuarded(tx, write, d.guard, { stayDeleted: true }))) throw d.onConflict();
    } else if (d.operation === 'DELETE') {
      if (!(await this.store.markDeleted(tx, row.id, d.guard!.expectedVersion, row.at))) throw d.onConflict();
    } else if (d.guard === null) {
      await this.store.insert(tx, write);
    } else if (!(await this.store.updateGuarded(tx, write, d.guard))) {
      throw d.onConflict();
    }
    await this.store.appendEvent(tx, { ...eventWrite(d, row), requestId: row.requestId, at: row.at });
    const change = changeOf({ decision: d, row, previous }, row.at);
    await this.projectors.project(tx, change);
    return change;
  }

  /**
   * apply() for many existing records in one transaction (a patient merge): the same decisions,
   * guarded row writes, event rows and projections, in a constant number of statements per batch
   * (one row UPDATE, one event INSERT, one per projector) instead of per record. Only version-guarded
   * updates of existing rows (including a deleted row staying deleted); creates and deletes go one by one.
   */
  async applyBatch(tx: Tx, items: (Planned & { previous: StoredImmunization })[], at: Date): Promise<ImmunizationChange[]> {
    if (items.length === 0) return [];
    const writes = items.map(({ decision: d, row }) => {
      const stayDeleted = d.operation === 'DELETE' && d.guard?.wasDeleted === true;
      if (d.guard === null || (d.operation === 'DELETE' && !stayDeleted))
        throw new Error('applyBatch takes guarded updates of existing rows only');
      return { w: rowWrite(d, row, at), guard: d.guard, stayDeleted };
    });
    if ((await this.store.updateGuardedMany(tx, writes, at)) !== items.length) throw items[0].decision.onConflict();
    return this.recordAndProject(tx, items, at);
  }

  /**
   * apply() for many independent records in one transaction (a batch chunk: at most one write per
   * record): inserts, guarded updates (reinstates included) and deletes, then the event rows and
   * the projections, each as one statement for the lot. A guard that finds a row changed
   * underneath throws ConcurrentChange for the whole batch: the caller rolls back and goes row by row.
   */
  async applyMany(tx: Tx, items: Planned[], at: Date): Promise<ImmunizationChange[]> {
    if (items.length === 0) return [];
    const inserts = items.filter((i) => i.decision.guard === null).map((i) => rowWrite(i.decision, i.row, at));
    const deletes = items
      .filter((i) => i.decision.operation === 'DELETE' && i.decision.guard && !i.decision.guard.wasDeleted)
      .map((i) => ({ id: i.row.id, expectedVersion: i.decision.guard!.expectedVersion }));
    const updates = items
      .filter((i) => i.decision.guard !== null && !(i.decision.operation === 'DELETE' && !i.decision.guard.wasDeleted))
      .map((i) => ({
        w: rowWrite(i.decision, i.row, at),
        guard: i.decision.guard!,
        stayDeleted: i.decision.operation === 'DELETE',
      }));
    await this.store.insertMany(tx, inserts, at);
    if ((await this.store.markDeletedMany(tx, deletes, at)) !== deletes.length) throw new ConcurrentChange();
    if (updates.length > 0 && (await this.store.updateGuardedMany(tx, updates, at)) !== updates.length) throw new ConcurrentChange();
    return this.recordAndProject(tx, items, at);
  }

  /** The event rows of written records, then their projections, each as one statement for the lot. */
  private async recordAndProject(tx: Tx, items: Planned[], at: Date): Promise<ImmunizationChange[]> {
    await this.store.appendEvents(
      tx,
      items.map(({ decision, row }) => eventWrite(decision, row)),
      at,
    );
    const changes = items.map((i) => changeOf(i, at));
    await this.projectors.projectMany(tx, changes);
    return changes;
  }

  private publish(change: ImmunizationChange | ImmunizationChange[]) {
    for (const c of Array.isArray(change) ? change : [change]) {
      try {
        this.events.publish(new ImmunizationChanged(c));
      } catch (e) {
        // The change is committed; a failing in-memory listener must not turn it into an error.
        this.logger.warn('event publish failed', { error: (e as Error).message });
      }
    }
  }
}
