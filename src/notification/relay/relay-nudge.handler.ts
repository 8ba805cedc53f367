import { EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { ImmunizationChanged } from '../../immunization/public';
import { NotificationRelay } from './notification-relay';

/** After a write commits, wake the relay (a latency shortcut only: the outbox row is the truth). */
@EventsHandler(ImmunizationChanged)
export class RelayNudgeHandler implements IEventHandler<ImmunizationChanged> {
  constructor(private readonly relay: NotificationRelay) {}

  handle(event: ImmunizationChanged) {
    if (event.change.nhsNumber !== null) this.relay.nudge();
  }
}
