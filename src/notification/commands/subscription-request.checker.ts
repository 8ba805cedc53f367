import { Injectable } from '@nestjs/common';
import type { Principal } from '../../auth/principal';
import { Errors } from '../../fhir/operation-outcome';
import { EndpointPolicy, EndpointRefused } from '../delivery/endpoint-policy';
import { NatsPublisher } from '../delivery/nats.publisher';
import { natsSubjectOf, parseSubscription, SubscriptionRequest, SubscriptionStatus } from '../domain/subscription-resource';

const STREAM_SETUP_WAIT_MS = 1000;

/**
 * Everything a create or update must pass before it is stored, in the contract's order: the
 * resource itself (400), the endpoint against the allow-list and the address rules (400), the
 * channel's availability (400 for `message` without NATS_URL), then permissions (403: a filter on
 * a vaccine type the supplier may not read).
 */
@Injectable()
export class SubscriptionRequestChecker {
  constructor(
    private readonly policy: EndpointPolicy,
    private readonly nats: NatsPublisher,
  ) {}

  async check(
    body: unknown,
    pathId: string | null,
    who: Principal,
    currentStatus: SubscriptionStatus | null,
  ): Promise<SubscriptionRequest> {
    const r = parseSubscription(body, pathId);
    if (r.status === 'error' && currentStatus !== 'error') {
      throw Errors.invariant(
        'status error is set by the server when deliveries keep failing; send active, requested or off.',
        'Subscription.status',
      );
    }
    if (r.channelType === 'rest-hook') {
      try {
        await this.policy.check(r.endpoint);
      } catch (e) {
        if (e instanceof EndpointRefused) throw Errors.invariant(e.message, 'Subscription.channel.endpoint');
        throw e;
      }
    } else {
      if (!this.nats.enabled) {
        throw Errors.invariant(
          'channel.type message needs a message broker and this server has none configured (NATS_URL); use rest-hook.',
          'Subscription.channel.type',
        );
      }
      // Have the stream ready for consumers when we can; a broker that is down only delays it to the first delivery.
      const ready = this.nats.ensureStream(natsSubjectOf(r.endpoint)!).catch(() => undefined);
      await Promise.race([ready, new Promise((resolve) => setTimeout(resolve, STREAM_SETUP_WAIT_MS).unref())]);
    }
    for (const type of r.filter.immunisationtype ?? []) {
      if (!who.supplier.permissions.allows('read', type)) {
        throw Errors.forbidden(`Supplier ${who.supplier.name} may not read records of vaccine type ${type}, so cannot subscribe to them.`);
      }
    }
    return r;
  }
}
