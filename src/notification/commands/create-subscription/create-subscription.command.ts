import { Command } from '@nestjs/cqrs';
import type { Principal } from '../../../auth/principal';
import type { SubscriptionRow } from '../../infrastructure/notification.store';

/** POST /Subscription. */
export class CreateSubscription extends Command<SubscriptionRow> {
  constructor(
    readonly body: unknown,
    readonly principal: Principal,
  ) {
    super();
  }
}
