import type { DeliveryOutcome } from '../delivery/delivery-outcome';
import type { NatsPublisher } from '../delivery/nats.publisher';
import type { RestHookSender } from '../delivery/rest-hook.sender';
import { natsSubjectOf } from '../domain/subscription-resource';
import type { OutboxRow, SubscriptionRow } from '../infrastructure/notification-rows';
import { renderSignal, SignalEvent } from '../signal/signals';

/** Renders one change as a subscription's signal and sends it on the subscription's channel. */
export class SignalDispatch {
  constructor(
    /** PUBLIC_BASE_URL plus the FHIR base path. */
    private readonly base: string,
    private readonly restHook: RestHookSender,
    private readonly nats: NatsPublisher,
  ) {}

  deliver(sub: SubscriptionRow, row: OutboxRow, eventNumber: string, abort: AbortSignal): Promise<DeliveryOutcome> {
    const event: SignalEvent = {
      subscriptionUrl: `${this.base}/Subscription/${sub.id}`,
      eventNumber,
      focusUrl: `${this.base}/Immunization/${row.immunization_id}`,
      immunizationId: row.immunization_id,
      version: row.version,
      operation: row.operation,
      supplier: row.supplier,
      vaccineType: row.vaccine_type,
      nhsNumber: row.nhs_number,
      sourceOrganisation: row.source_organisation,
      subjectAge: row.subject_age,
      recordedAt: new Date(row.recorded_at),
    };
    const { contentType, body } = renderSignal(sub.payload, event);
    if (sub.channel_type === 'message') {
      const subject = natsSubjectOf(sub.endpoint);
      if (subject === null || !this.nats.enabled) {
        return Promise.resolve({
          ok: false,
          statusCode: null,
          error: 'NATS is not configured on this server (NATS_URL)',
          reason: 'broker',
          durationMs: 0,
        });
      }
      return this.nats.publish(subject, sub.headers, contentType, body, `${sub.id}:${eventNumber}`);
    }
    return this.restHook.send(sub.endpoint, sub.headers, contentType, body, abort);
  }
}
