import { Command } from '@nestjs/cqrs';
import type { Principal } from '../../../auth/principal';
import type { SubscriptionRow } from '../../infrastructure/notification.store';

/** PUT /Subscription/{id}; `ifMatch` is the version from If-Match, when sent. */
export class UpdateSubscription extends Command<SubscriptionRow> {
  constructor(
    readonly id: string,
    readonly body: unknown,
    readonly ifMatch: number | null,
    readonly principal: Principal,
  ) {
    super();
  }
}
