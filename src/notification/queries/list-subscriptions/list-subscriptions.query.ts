import { Query } from '@nestjs/cqrs';
import type { Principal } from '../../../auth/principal';
import type { SubscriptionRecord } from '../../domain/subscription-resource';

/** GET /Subscription: the caller's own subscriptions, oldest first. */
export class ListSubscriptions extends Query<SubscriptionRecord[]> {
  constructor(readonly principal: Principal) {
    super();
  }
}
