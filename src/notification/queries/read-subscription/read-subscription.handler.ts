import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { Database } from '../../../database/database';
import { Errors } from '../../../fhir/operation-outcome';
import type { SubscriptionRecord } from '../../domain/subscription-resource';
import { SubscriptionStore } from '../../infrastructure/subscription.store';
import { ReadSubscription } from './read-subscription.query';

@QueryHandler(ReadSubscription)
export class ReadSubscriptionHandler implements IQueryHandler<ReadSubscription, SubscriptionRecord> {
  constructor(
    private readonly db: Database,
    private readonly store: SubscriptionStore,
  ) {}

  async execute(q: ReadSubscription): Promise<SubscriptionRecord> {
    const row = await this.store.findOwned(this.db, q.id, q.principal.supplier.name);
    if (row === null) throw Errors.notFound(`Subscription ${q.id} does not exist.`);
    return row;
  }
}
