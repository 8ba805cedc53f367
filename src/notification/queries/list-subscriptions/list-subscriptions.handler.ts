import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { Database } from '../../../database/database';
import type { SubscriptionRecord } from '../../domain/subscription-resource';
import { SubscriptionStore } from '../../infrastructure/subscription.store';
import { ListSubscriptions } from './list-subscriptions.query';

/** A supplier keeps a handful of subscriptions; this bounds the page all the same. */
export const MAX_LISTED_SUBSCRIPTIONS = 1000;

@QueryHandler(ListSubscriptions)
export class ListSubscriptionsHandler implements IQueryHandler<ListSubscriptions, SubscriptionRecord[]> {
  constructor(
    private readonly db: Database,
    private readonly store: SubscriptionStore,
  ) {}

  execute(q: ListSubscriptions): Promise<SubscriptionRecord[]> {
    return this.store.listOwned(this.db, q.principal.supplier.name, MAX_LISTED_SUBSCRIPTIONS);
  }
}
