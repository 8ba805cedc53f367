import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Database } from '../../../database/database';
import { Errors } from '../../../fhir/operation-outcome';
import { SubscriptionStore } from '../../infrastructure/subscription.store';
import { DeleteSubscription } from './delete-subscription.command';

/** Deletes a subscription the caller owns (others' are 404); a delivery in flight is not recorded. */
@CommandHandler(DeleteSubscription)
export class DeleteSubscriptionHandler implements ICommandHandler<DeleteSubscription, void> {
  constructor(
    private readonly db: Database,
    private readonly store: SubscriptionStore,
  ) {}

  async execute(cmd: DeleteSubscription): Promise<void> {
    if (!(await this.store.delete(this.db, cmd.id, cmd.principal.supplier.name)))
      throw Errors.notFound(`Subscription ${cmd.id} does not exist.`);
  }
}
