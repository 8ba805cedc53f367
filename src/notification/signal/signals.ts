import { createHash } from 'node:crypto';
import { NHS_NUMBER_SYSTEM } from '../../kernel/terminology';
import type { ChangeFacts } from '../domain/change-facts';
import { Action, EVENT_TYPE } from '../domain/criteria';
import { CLOUDEVENTS_PAYLOAD, FHIR_PAYLOAD, Payload } from '../domain/subscription-resource';

/** The producer, as MNS names event sources. */
export const SIGNAL_SOURCE = 'uk.nhs.vaccinations-data-flow-management';
export const SUBSCRIPTION_STATUS_PROFILE =
  'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription-status-r4';

/** One event for one subscription: what every payload format is built from. */
export interface SignalEvent extends ChangeFacts {
  subscriptionUrl: string;
  /** The subscription's running count for this event (1, 2, 3, …). */
  eventNumber: string;
  /** <PUBLIC_BASE_URL><base>/Immunization/<id> */
  focusUrl: string;
  immunizationId: string;
}

/** A name-based (v5-style, SHA-1) UUID: the same event always gets the same id, retries included. */
export function stableUuid(name: string): string {
  const h = createHash('sha1').update('imms-notification:').update(name).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** The id of the change itself: the same for every subscriber (MNS event id, CloudEvents id). */
export function eventIdOf(e: Pick<SignalEvent, 'immunizationId' | 'version' | 'operation'>): string {
  return stableUuid(`${e.immunizationId}/${e.version}/${e.operation}`);
}

export const actionOf = (operation: SignalEvent['operation']): Action => operation.toLowerCase() as Action;

/**
 * The MNS FHIR signal (test/fixtures/spec/mns-fhir-signal.schema.json): a history Bundle
 * whose one entry is the backport SubscriptionStatus as Parameters. event-number is the
 * subscription's running count (docs/api.md §6), not the seed's fixed "1". The entry carries
 * request/response as the Backport IG asks of history bundles (bdl-3/4).
 */
export function fhirSignal(e: SignalEvent): Record<string, unknown> {
  const statusId = stableUuid(`${e.subscriptionUrl}#${e.eventNumber}`);
  const at = e.recordedAt.toISOString();
  return {
    resourceType: 'Bundle',
    id: eventIdOf(e),
    type: 'history',
    timestamp: at,
    entry: [
      {
        fullUrl: `urn:uuid:${statusId}`,
        resource: {
          resourceType: 'Parameters',
          id: statusId,
          meta: { profile: [SUBSCRIPTION_STATUS_PROFILE] },
          parameter: [
            { name: 'subscription', valueReference: { reference: e.subscriptionUrl } },
            { name: 'status', valueCode: 'active' },
            { name: 'type', valueCode: 'event-notification' },
            {
              name: 'notification-event',
              part: [
                { name: 'event-number', valueString: e.eventNumber },
                { name: 'timestamp', valueInstant: at },
                { name: 'focus', valueReference: { reference: e.focusUrl } },
              ],
            },
            {
              name: 'additional-context',
              part: [
                { name: 'event-type', valueString: EVENT_TYPE },
                { name: 'source', valueUri: SIGNAL_SOURCE },
                { name: 'subject', valueReference: { identifier: { system: NHS_NUMBER_SYSTEM, value: e.nhsNumber } } },
                { name: 'version-id', valueString: String(e.version) },
              ],
            },
          ],
        },
        request: { method: 'GET', url: `${e.subscriptionUrl}/$status` },
        response: { status: '200' },
      },
    ],
  };
}

/**
 * The same signal as a CloudEvent 1.0 (structured JSON mode): the filter values travel in
 * `filtering`, the event-number in the `sequence` extension (CloudEvents' own sequence attribute).
 */
export function cloudEvent(e: SignalEvent): Record<string, unknown> {
  const filtering: Record<string, string> = {
    sourceapplication: e.supplier,
    immunisationtype: e.vaccineType,
    action: actionOf(e.operation),
  };
  if (e.sourceOrganisation !== null) filtering.sourceorganisation = e.sourceOrganisation;
  if (e.subjectAge !== null) filtering.subjectage = String(e.subjectAge);
  return {
    specversion: '1.0',
    id: eventIdOf(e),
    type: EVENT_TYPE,
    source: SIGNAL_SOURCE,
    subject: e.nhsNumber,
    time: e.recordedAt.toISOString(),
    dataref: e.focusUrl,
    sequence: e.eventNumber,
    subscription: e.subscriptionUrl,
    versionid: String(e.version),
    filtering,
  };
}

/** The bytes and Content-Type a subscription's payload setting asks for. */
export function renderSignal(payload: Payload, e: SignalEvent): { contentType: string; body: string } {
  if (payload === CLOUDEVENTS_PAYLOAD) return { contentType: CLOUDEVENTS_PAYLOAD, body: JSON.stringify(cloudEvent(e)) };
  return { contentType: FHIR_PAYLOAD, body: JSON.stringify(fhirSignal(e)) };
}
