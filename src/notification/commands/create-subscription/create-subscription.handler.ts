import { randomUUID } from 'node:crypto';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Database } from '../../../database/database';
import type { SubscriptionRecord } from '../../domain/subscription-resource';
import { SubscriptionStore } from '../../infrastructure/subscription.store';
import { SubscriptionRequestChecker } from '../subscription-request.checker';
import { CreateSubscription } from './create-subscription.command';

@CommandHandler(CreateSubscription)
export class CreateSubscriptionHandler implements ICommandHandler<CreateSubscription, SubscriptionRecord> {
  constructor(
    private readonly db: Database,
    private readonly store: SubscriptionStore,
    private readonly checker: SubscriptionRequestChecker,
  ) {}

  async execute(cmd: CreateSubscription): Promise<SubscriptionRecord> {
    const r = await this.checker.check(cmd.body, null, cmd.principal, null);
    return this.store.create(this.db, randomUUID(), cmd.principal.supplier.name, r, new Date());
  }
}
