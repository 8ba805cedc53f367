import { Query } from '@nestjs/cqrs';
import type { Principal } from '../../../auth/principal';
import type { SubscriptionRow } from '../../infrastructure/notification.store';

/** GET /Subscription/{id}: one of the caller's own subscriptions. */
export class ReadSubscription extends Query<SubscriptionRow> {
  constructor(
    readonly id: string,
    readonly principal: Principal,
  ) {
    super();
  }
}
