import type { Immunization } from '@medplum/fhirtypes';
import { Inject, Injectable } from '@nestjs/common';
import { EventBus } from '@nestjs/cqrs';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { Database, isRetryableTxFailure, Tx } from '../../database/database';
import { DomainError } from '../../kernel/domain-error';
import { JsonLogger } from '../../logging/json-logger';
import { ConcurrentChange, StoredImmunization, WriteDecision, IncomingFacts } from '../domain/immunization-record';
import { ImmunizationRepository } from '../infrastructure/immunization.repository';
import { ChangeProjectors } from '../public/change-projectors';
import type { ImmunizationChange } from '../public/immunization-change';
import { ImmunizationChanged } from '../public/immunization-changed.event';

const MAX_ATTEMPTS = 3;

/**
 * The shared write path (docs/architecture.md): one transaction per change that writes the current
 * row with a single version-guarded statement, appends the event row, and hands the change to the
 * registered projectors; after commit the change is published on the EventBus.
 */
@Injectable()
export class ImmunizationWriter {
  constructor(
    private readonly db: Database,
    private readonly repo: ImmunizationRepository,
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
    row: { id: string; facts: IncomingFacts; supplier: string; resource: Immunization; at: Date; requestId: string | null },
    previous: StoredImmunization | null,
  ): Promise<ImmunizationChange> {
    const write = {
      id: row.id,
      version: d.newVersion,
      identifier: row.facts.identifier,
      nhsNumber: row.facts.nhsNumber,
      vaccineType: row.facts.vaccineType,
      occurrence: row.facts.occurrence,
      supplier: row.supplier,
      resource: row.resource,
      at: row.at,
    };
    if (d.operation === 'DELETE' && d.guard?.wasDeleted) {
      // A deleted record changed in place (a patient merge): a new version that stays deleted.
      if (!(await this.repo.updateGuarded(tx, write, d.guard, { stayDeleted: true }))) throw d.onConflict();
    } else if (d.operation === 'DELETE') {
      if (!(await this.repo.markDeleted(tx, row.id, d.guard!.expectedVersion, row.at))) throw d.onConflict();
    } else if (d.guard === null) {
      await this.repo.insert(tx, write);
    } else if (!(await this.repo.updateGuarded(tx, write, d.guard))) {
      throw d.onConflict();
    }
    const eventSeq = await this.repo.appendEvent(tx, {
      id: row.id,
      version: d.newVersion,
      operation: d.operation,
      supplier: row.supplier,
      vaccineType: row.facts.vaccineType,
      requestId: row.requestId,
      resource: row.resource,
      at: row.at,
    });
    const change: ImmunizationChange = {
      eventSeq,
      id: row.id,
      version: d.newVersion,
      operation: d.operation,
      reinstated: d.reinstated,
      supplier: row.supplier,
      vaccineType: row.facts.vaccineType,
      nhsNumber: row.facts.nhsNumber,
      occurrence: row.facts.occurrence,
      identifier: row.facts.identifier,
      resource: row.resource,
      recordedAt: row.at,
      previous: previous ? { vaccineType: previous.vaccineType, nhsNumber: previous.nhsNumber, deleted: previous.deleted } : null,
    };
    await this.projectors.project(tx, change);
    return change;
  }

  /**
   * apply() for many existing records in one transaction (a patient merge): the same decisions,
   * guarded row writes, event rows and projections, in a constant number of statements per batch
   * (one row UPDATE, one event INSERT, one per projector) instead of per record. Only version-guarded
   * updates of existing rows (including a deleted row staying deleted); creates and deletes go one by one.
   */
  async applyBatch(
    tx: Tx,
    items: {
      decision: WriteDecision;
      row: { id: string; facts: IncomingFacts; supplier: string; resource: Immunization };
      previous: StoredImmunization;
    }[],
    at: Date,
  ): Promise<ImmunizationChange[]> {
    if (items.length === 0) return [];
    const writes = items.map(({ decision: d, row }) => {
      const stayDeleted = d.operation === 'DELETE' && d.guard?.wasDeleted === true;
      if (d.guard === null || (d.operation === 'DELETE' && !stayDeleted))
        throw new Error('applyBatch takes guarded updates of existing rows only');
      const w = {
        id: row.id,
        version: d.newVersion,
        identifier: row.facts.identifier,
        nhsNumber: row.facts.nhsNumber,
        vaccineType: row.facts.vaccineType,
        occurrence: row.facts.occurrence,
        supplier: row.supplier,
        resource: row.resource,
        at,
      };
      return { w, guard: d.guard, stayDeleted };
    });
    if ((await this.repo.updateGuardedMany(tx, writes, at)) !== items.length) throw items[0].decision.onConflict();
    return this.recordAndProject(tx, items, at);
  }

  /**
   * apply() for many independent records in one transaction (a batch chunk: at most one write per
   * record): inserts, guarded updates (reinstates included) and deletes, then the event rows and
   * the projections, each as one statement for the lot. A guard that finds a row changed
   * underneath throws ConcurrentChange for the whole batch: the caller rolls back and goes row by row.
   */
  async applyMany(
    tx: Tx,
    items: {
      decision: WriteDecision;
      row: { id: string; facts: IncomingFacts; supplier: string; resource: Immunization };
      previous: StoredImmunization | null;
    }[],
    at: Date,
  ): Promise<ImmunizationChange[]> {
    if (items.length === 0) return [];
    const write = (d: WriteDecision, row: (typeof items)[number]['row']) => ({
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
    const inserts = items.filter((i) => i.decision.guard === null).map((i) => write(i.decision, i.row));
    const deletes = items
      .filter((i) => i.decision.operation === 'DELETE' && i.decision.guard && !i.decision.guard.wasDeleted)
      .map((i) => ({ id: i.row.id, expectedVersion: i.decision.guard!.expectedVersion }));
    const updates = items
      .filter((i) => i.decision.guard !== null && !(i.decision.operation === 'DELETE' && !i.decision.guard.wasDeleted))
      .map((i) => ({
        w: write(i.decision, i.row),
        guard: i.decision.guard!,
        stayDeleted: i.decision.operation === 'DELETE',
      }));
    await this.repo.insertMany(tx, inserts, at);
    if ((await this.repo.markDeletedMany(tx, deletes, at)) !== deletes.length) throw new ConcurrentChange();
    if (updates.length > 0 && (await this.repo.updateGuardedMany(tx, updates, at)) !== updates.length) throw new ConcurrentChange();
    return this.recordAndProject(tx, items, at);
  }

  /** The event rows of written records, then their projections, each as one statement for the lot. */
  private async recordAndProject(
    tx: Tx,
    items: {
      decision: WriteDecision;
      row: { id: string; facts: IncomingFacts; supplier: string; resource: Immunization };
      previous: StoredImmunization | null;
    }[],
    at: Date,
  ): Promise<ImmunizationChange[]> {
    const seqs = await this.repo.appendEvents(
      tx,
      items.map(({ decision: d, row }) => ({
        id: row.id,
        version: d.newVersion,
        operation: d.operation,
        supplier: row.supplier,
        vaccineType: row.facts.vaccineType,
        resource: row.resource,
      })),
      at,
    );
    const changes: ImmunizationChange[] = items.map(({ decision: d, row, previous }, i) => ({
      eventSeq: seqs[i],
      id: row.id,
      version: d.newVersion,
      operation: d.operation,
      reinstated: d.reinstated,
      supplier: row.supplier,
      vaccineType: row.facts.vaccineType,
      nhsNumber: row.facts.nhsNumber,
      occurrence: row.facts.occurrence,
      identifier: row.facts.identifier,
      resource: row.resource,
      recordedAt: at,
      previous: previous ? { vaccineType: previous.vaccineType, nhsNumber: previous.nhsNumber, deleted: previous.deleted } : null,
    }));
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
