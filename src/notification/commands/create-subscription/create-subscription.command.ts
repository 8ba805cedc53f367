import { Command } from '@nestjs/cqrs';
import type { Principal } from '../../../auth/principal';
import type { SubscriptionRecord } from '../../domain/subscription-resource';

/** POST /Subscription. */
export class CreateSubscription extends Command<SubscriptionRecord> {
  constructor(
    readonly body: unknown,
    readonly principal: Principal,
  ) {
    super();
  }
}
