import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { Database } from '../../../database/database';
import { NotificationStore, SubscriptionRow } from '../../infrastructure/notification.store';
import { ListSubscriptions } from './list-subscriptions.query';

/** A supplier keeps a handful of subscriptions; this bounds the page all the same. */
export const MAX_LISTED_SUBSCRIPTIONS = 1000;

@QueryHandler(ListSubscriptions)
export class ListSubscriptionsHandler implements IQueryHandler<ListSubscriptions, SubscriptionRow[]> {
  constructor(
    private readonly db: Database,
    private readonly store: NotificationStore,
  ) {}

  execute(q: ListSubscriptions): Promise<SubscriptionRow[]> {
    return this.store.listOwned(this.db, q.principal.supplier.name, MAX_LISTED_SUBSCRIPTIONS);
  }
}
