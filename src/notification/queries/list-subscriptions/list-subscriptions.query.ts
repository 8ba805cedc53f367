import { Query } from '@nestjs/cqrs';
import type { Principal } from '../../../auth/principal';
import type { SubscriptionRow } from '../../infrastructure/notification.store';

/** GET /Subscription: the caller's own subscriptions, oldest first. */
export class ListSubscriptions extends Query<SubscriptionRow[]> {
  constructor(readonly principal: Principal) {
    super();
  }
}
