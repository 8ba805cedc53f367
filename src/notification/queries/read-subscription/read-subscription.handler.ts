import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { Database } from '../../../database/database';
import { Errors } from '../../../fhir/operation-outcome';
import { NotificationStore, SubscriptionRow } from '../../infrastructure/notification.store';
import { ReadSubscription } from './read-subscription.query';

@QueryHandler(ReadSubscription)
export class ReadSubscriptionHandler implements IQueryHandler<ReadSubscription, SubscriptionRow> {
  constructor(
    private readonly db: Database,
    private readonly store: NotificationStore,
  ) {}

  async execute(q: ReadSubscription): Promise<SubscriptionRow> {
    const row = await this.store.findOwned(this.db, q.id, q.principal.supplier.name);
    if (row === null) throw Errors.notFound(`Subscription ${q.id} does not exist.`);
    return row;
  }
}
