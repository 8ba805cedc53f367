import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Database } from '../../../database/database';
import { Errors } from '../../../fhir/operation-outcome';
import type { SubscriptionRecord } from '../../domain/subscription-resource';
import { SubscriptionStore } from '../../infrastructure/subscription.store';
import { SubscriptionRequestChecker } from '../subscription-request.checker';
import { UpdateSubscription } from './update-subscription.command';

const MAX_ATTEMPTS = 3;

/**
 * Replaces a subscription the caller owns. A PUT with status active on a subscription in error
 * clears the error and resumes delivery at the event that failed (same event-number).
 */
@CommandHandler(UpdateSubscription)
export class UpdateSubscriptionHandler implements ICommandHandler<UpdateSubscription, SubscriptionRecord> {
  constructor(
    private readonly db: Database,
    private readonly store: SubscriptionStore,
    private readonly checker: SubscriptionRequestChecker,
  ) {}

  async execute(cmd: UpdateSubscription): Promise<SubscriptionRecord> {
    const supplier = cmd.principal.supplier.name;
    for (let attempt = 1; ; attempt++) {
      const current = await this.store.findOwned(this.db, cmd.id, supplier);
      if (current === null) throw Errors.notFound(`Subscription ${cmd.id} does not exist.`);
      if (cmd.ifMatch !== null && cmd.ifMatch !== current.version) {
        throw Errors.preconditionFailed(
          `If-Match names version ${cmd.ifMatch} but Subscription ${cmd.id} is at version ${current.version}.`,
        );
      }
      const r = await this.checker.check(cmd.body, cmd.id, cmd.principal, current.status);
      const updated = await this.store.replace(this.db, cmd.id, supplier, current.version, r, new Date());
      if (updated) return updated;
      // Changed underneath us (the relay put it in error, or another PUT): decide again on fresh state.
      if (cmd.ifMatch !== null || attempt >= MAX_ATTEMPTS) {
        throw Errors.preconditionFailed(`Subscription ${cmd.id} changed while this update was being made; read it and try again.`);
      }
    }
  }
}
