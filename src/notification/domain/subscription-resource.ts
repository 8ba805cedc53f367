import type { Subscription } from '@medplum/fhirtypes';
import { Errors } from '../../fhir/operation-outcome';
import { CriteriaError, parseCriteria, SignalFilter } from './criteria';

export const FHIR_PAYLOAD = 'application/fhir+json';
export const CLOUDEVENTS_PAYLOAD = 'application/cloudevents+json';
export type Payload = typeof FHIR_PAYLOAD | typeof CLOUDEVENTS_PAYLOAD;
export type ChannelType = 'rest-hook' | 'message';
export type SubscriptionStatus = 'active' | 'error' | 'off';

/** What a client asked for, checked (apart from the endpoint's reachability, see EndpointPolicy). */
export interface SubscriptionRequest {
  /** The status the client sent ('requested' counts as 'active'). */
  status: SubscriptionStatus;
  filter: SignalFilter;
  channelType: ChannelType;
  endpoint: string;
  payload: Payload;
  /** channel.header as [name, value] pairs, in order. */
  headers: [string, string][];
  /** The resource to keep: what the client sent, less the server-owned id, meta, status and error. */
  resource: Record<string, unknown>;
}

const MAX_HEADERS = 20;
const MAX_HEADER_LENGTH = 4096;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** Hop-by-hop headers and those the sender owns: a subscriber cannot set them. */
const REFUSED_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'trailers',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'content-type',
  'expect',
]);
/** A NATS subject without wildcards: dot-separated tokens. */
const NATS_SUBJECT = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** `nats:<subject>` → the subject, or null when the endpoint is not one. */
export function natsSubjectOf(endpoint: string): string | null {
  const m = /^nats:(.+)$/.exec(endpoint);
  return m && NATS_SUBJECT.test(m[1]) && m[1].length <= 255 ? m[1] : null;
}

/** One `channel.header` entry, "Name: value". Returns the pair or the reason it is refused. */
export function parseHeader(raw: unknown): [string, string] | string {
  if (typeof raw !== 'string') return 'must be a string "Name: value"';
  if (raw.length > MAX_HEADER_LENGTH) return `is longer than ${MAX_HEADER_LENGTH} characters`;
  const colon = raw.indexOf(':');
  if (colon <= 0) return 'must have the form "Name: value"';
  const name = raw.slice(0, colon).trim();
  const value = raw.slice(colon + 1).trim();
  if (!TOKEN.test(name)) return `has a header name "${name.slice(0, 40)}" that is not an HTTP token`;
  if (!FIELD_VALUE.test(value)) return `has a value with control characters (CR, LF or NUL are never sent)`;
  if (REFUSED_HEADERS.has(name.toLowerCase()))
    return `sets ${name}, which the server controls (hop-by-hop, Host, Content-Length, Content-Type)`;
  return [name, value];
}

/**
 * Checks a FHIR R4 Subscription sent by a client (POST, or PUT to `pathId`). Criteria problems are
 * 400 INVALID (like a search parameter); every other content problem is collected and reported
 * together as 400 INVARIANT, one issue each.
 */
export function parseSubscription(body: unknown, pathId: string | null): SubscriptionRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw Errors.invariant('The body must be a FHIR Subscription (a JSON object).');
  const b = body as Record<string, unknown>;
  if (b.resourceType !== 'Subscription') throw Errors.invariant('resourceType must be Subscription.', 'Subscription.resourceType');

  let filter: SignalFilter;
  try {
    filter = parseCriteria(b.criteria);
  } catch (e) {
    if (e instanceof CriteriaError) throw Errors.invalid(e.message, 'Subscription.criteria');
    throw e;
  }

  const issues: { diagnostics: string; expression: string }[] = [];
  const fail = (diagnostics: string, expression: string) => issues.push({ diagnostics, expression });

  if (pathId === null && b.id !== undefined) fail('id must not be sent on create: the server assigns it.', 'Subscription.id');
  if (pathId !== null && b.id !== pathId) fail(`id must equal the id in the URL (${pathId}).`, 'Subscription.id');

  let status: SubscriptionStatus = 'active';
  if (b.status !== undefined) {
    if (b.status === 'requested' || b.status === 'active') status = 'active';
    else if (b.status === 'off') status = 'off';
    else if (b.status === 'error') status = 'error';
    else fail('status must be requested, active or off.', 'Subscription.status');
  }
  if (b.reason !== undefined && typeof b.reason !== 'string') fail('reason must be a string.', 'Subscription.reason');
  if (b.end !== undefined && (typeof b.end !== 'string' || !INSTANT.test(b.end) || Number.isNaN(Date.parse(b.end)))) {
    fail('end must be a FHIR instant, e.g. 2030-01-31T12:00:00Z.', 'Subscription.end');
  }

  const channel = b.channel as Record<string, unknown> | undefined;
  let channelType: ChannelType = 'rest-hook';
  let endpoint = '';
  let payload: Payload = FHIR_PAYLOAD;
  const headers: [string, string][] = [];
  if (channel === null || typeof channel !== 'object' || Array.isArray(channel)) {
    fail('channel is required: {"type":"rest-hook","endpoint":"https://…","payload":"application/fhir+json"}.', 'Subscription.channel');
  } else {
    if (channel.type === 'rest-hook' || channel.type === 'message') channelType = channel.type;
    else
      fail(
        `channel.type must be rest-hook or message (got ${JSON.stringify(channel.type ?? null).slice(0, 30)}).`,
        'Subscription.channel.type',
      );

    if (typeof channel.endpoint !== 'string' || channel.endpoint === '')
      fail('channel.endpoint is required.', 'Subscription.channel.endpoint');
    else if (channel.endpoint.length > 2048) fail('channel.endpoint is longer than 2048 characters.', 'Subscription.channel.endpoint');
    else {
      endpoint = channel.endpoint;
      if (channel.type === 'message' && natsSubjectOf(endpoint) === null) {
        fail(
          'channel.endpoint of a message subscription must be nats:<subject> (dot-separated tokens, no wildcards).',
          'Subscription.channel.endpoint',
        );
      }
    }

    if (channel.payload !== undefined) {
      if (channel.payload === FHIR_PAYLOAD || channel.payload === CLOUDEVENTS_PAYLOAD) payload = channel.payload;
      else fail(`channel.payload must be ${FHIR_PAYLOAD} or ${CLOUDEVENTS_PAYLOAD}.`, 'Subscription.channel.payload');
    }

    if (channel.header !== undefined) {
      if (!Array.isArray(channel.header)) fail('channel.header must be an array of "Name: value" strings.', 'Subscription.channel.header');
      else if (channel.header.length > MAX_HEADERS)
        fail(`channel.header may hold at most ${MAX_HEADERS} headers.`, 'Subscription.channel.header');
      else {
        channel.header.forEach((h, i) => {
          const parsed = parseHeader(h);
          if (typeof parsed === 'string') fail(`channel.header[${i}] ${parsed}.`, `Subscription.channel.header[${i}]`);
          else headers.push(parsed);
        });
      }
    }
  }
  if (issues.length > 0) throw Errors.invariants(issues);

  const resource: Record<string, unknown> = { ...b };
  for (const serverOwned of ['id', 'meta', 'status', 'error']) delete resource[serverOwned];
  resource.channel = { ...channel, payload };
  return { status, filter, channelType, endpoint, payload, headers, resource };
}

/** A stored subscription as the API's commands and queries return it. */
export interface SubscriptionRecord {
  id: string;
  version: number;
  updatedAt: Date;
  status: SubscriptionStatus;
  /** Why deliveries stopped, while status is error. */
  error: string | null;
  /** The kept client resource (see SubscriptionRequest.resource). */
  resource: Record<string, unknown>;
}

/** The Subscription as the server shows it: the kept resource plus id, meta, current status and error. */
export function subscriptionRepresentation(s: SubscriptionRecord): Subscription {
  const { resourceType: _r, ...rest } = s.resource;
  // `rest` is the kept client resource, which passed parseSubscription: a Subscription less the server-owned elements.
  const out: Subscription = {
    resourceType: 'Subscription',
    id: s.id,
    meta: { versionId: String(s.version), lastUpdated: s.updatedAt.toISOString() },
    status: s.status,
    ...(rest as Omit<Subscription, 'resourceType' | 'id' | 'meta' | 'status'>),
  };
  if (s.status === 'error' && s.error) out.error = s.error;
  return out;
}
