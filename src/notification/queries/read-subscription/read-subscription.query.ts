import { Query } from '@nestjs/cqrs';
import type { Principal } from '../../../auth/principal';
import type { SubscriptionRecord } from '../../domain/subscription-resource';

/** GET /Subscription/{id}: one of the caller's own subscriptions. */
export class ReadSubscription extends Query<SubscriptionRecord> {
  constructor(
    readonly id: string,
    readonly principal: Principal,
  ) {
    super();
  }
}
