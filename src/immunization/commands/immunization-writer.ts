import { Inject, Injectable } from '@nestjs/common';
import { EventBus } from '@nestjs/cqrs';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { Database, isRetryableTxFailure, Tx } from '../../database/database';
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

  /** Runs a write transaction, retrying from the top on serialization failures and lost races. */
  async transact<T>(work: (tx: Tx) => Promise<{ result: T; change: ImmunizationChange | null }>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        const { result, change } = await this.db.withTransaction(work);
        if (change) this.publish(change);
        return result;
      } catch (e) {
        if (attempt < MAX_ATTEMPTS && (e instanceof ConcurrentChange || isRetryableTxFailure(e))) continue;
        throw e;
      }
    }
  }

  /** Applies a decision: the guarded row write, the event row, the projections. Returns the change. */
  async apply(
    tx: Tx,
    d: WriteDecision,
    row: { id: string; facts: IncomingFacts; supplier: string; resource: Record<string, unknown>; at: Date; requestId: string | null },
    previous: StoredImmunization | null,
  ): Promise<ImmunizationChange> {
    const write = { id: row.id, version: d.newVersion, identifier: row.facts.identifier, nhsNumber: row.facts.nhsNumber, vaccineType: row.facts.vaccineType, occurrence: row.facts.occurrence, supplier: row.supplier, resource: row.resource, at: row.at };
    if (d.operation === 'DELETE') {
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
      previous: previous ? { vaccineType: previous.vaccineType, nhsNumber: previous.nhsNumber } : null,
    };
    await this.projectors.project(tx, change);
    return change;
  }

  private publish(change: ImmunizationChange) {
    try {
      this.events.publish(new ImmunizationChanged(change));
    } catch (e) {
      // The change is committed; a failing in-memory listener must not turn it into an error.
      this.logger.warn('event publish failed', { error: (e as Error).message });
    }
  }
}
