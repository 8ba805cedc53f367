import { Command } from '@nestjs/cqrs';
import type { Principal } from '../../../auth/principal';

/** DELETE /Subscription/{id}. */
export class DeleteSubscription extends Command<void> {
  constructor(
    readonly id: string,
    readonly principal: Principal,
  ) {
    super();
  }
}
