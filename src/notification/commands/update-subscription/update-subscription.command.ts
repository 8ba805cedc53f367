import { Command } from '@nestjs/cqrs';
import type { Principal } from '../../../auth/principal';
import type { SubscriptionRecord } from '../../domain/subscription-resource';

/** PUT /Subscription/{id}; `ifMatch` is the version from If-Match, when sent. */
export class UpdateSubscription extends Command<SubscriptionRecord> {
  constructor(
    readonly id: string,
    readonly body: unknown,
    readonly ifMatch: number | null,
    readonly principal: Principal,
  ) {
    super();
  }
}
