import { randomUUID } from 'node:crypto';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Database } from '../../../database/database';
import { NotificationStore, SubscriptionRow } from '../../infrastructure/notification.store';
import { SubscriptionRequestChecker } from '../subscription-request.checker';
import { CreateSubscription } from './create-subscription.command';

@CommandHandler(CreateSubscription)
export class CreateSubscriptionHandler implements ICommandHandler<CreateSubscription, SubscriptionRow> {
  constructor(
    private readonly db: Database,
    private readonly store: NotificationStore,
    private readonly checker: SubscriptionRequestChecker,
  ) {}

  async execute(cmd: CreateSubscription): Promise<SubscriptionRow> {
    const r = await this.checker.check(cmd.body, null, cmd.principal, null);
    return this.store.create(this.db, randomUUID(), cmd.principal.supplier.name, r, new Date());
  }
}
