import { Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig, ConfigError } from '../config/app-config';
import { ImmunizationModule } from '../immunization/immunization.module';
import { CreateSubscriptionHandler } from './commands/create-subscription/create-subscription.handler';
import { DeleteSubscriptionHandler } from './commands/delete-subscription/delete-subscription.handler';
import { SubscriptionRequestChecker } from './commands/subscription-request.checker';
import { UpdateSubscriptionHandler } from './commands/update-subscription/update-subscription.handler';
import { EndpointPolicy } from './delivery/endpoint-policy';
import { NatsPublisher } from './delivery/nats.publisher';
import { RestHookSender } from './delivery/rest-hook.sender';
import { OutboxStore } from './infrastructure/outbox.store';
import { RelayStore } from './infrastructure/relay.store';
import { SubscriptionStore } from './infrastructure/subscription.store';
import { NotificationMetrics } from './notification.metrics';
import { OutboxProjector } from './outbox/outbox.projector';
import { ListSubscriptionsHandler } from './queries/list-subscriptions/list-subscriptions.handler';
import { ReadSubscriptionHandler } from './queries/read-subscription/read-subscription.handler';
import { NotificationRelay } from './relay/notification-relay';
import { RelayNudgeHandler } from './relay/relay-nudge.handler';
import { SubscriptionController } from './subscription.controller';

function endpointPolicy(config: AppConfig): EndpointPolicy {
  try {
    return new EndpointPolicy(config.subscriptionEndpointAllowlist);
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
}

/**
 * Change notifications (docs/api.md §6): FHIR Subscriptions, the outbox written inside every
 * Immunization write transaction, and the relay that delivers the MNS signal to rest-hook
 * endpoints or NATS JetStream.
 */
@Module({
  imports: [ImmunizationModule],
  controllers: [SubscriptionController],
  providers: [
    SubscriptionStore,
    RelayStore,
    OutboxStore,
    NotificationMetrics,
    OutboxProjector,
    { provide: EndpointPolicy, inject: [APP_CONFIG], useFactory: endpointPolicy },
    { provide: RestHookSender, inject: [EndpointPolicy], useFactory: (p: EndpointPolicy) => new RestHookSender(p) },
    { provide: NatsPublisher, inject: [APP_CONFIG], useFactory: (c: AppConfig) => new NatsPublisher(c.natsUrl) },
    NotificationRelay,
    RelayNudgeHandler,
    SubscriptionRequestChecker,
    CreateSubscriptionHandler,
    UpdateSubscriptionHandler,
    DeleteSubscriptionHandler,
    ReadSubscriptionHandler,
    ListSubscriptionsHandler,
  ],
  exports: [NotificationRelay],
})
export class NotificationModule {}
