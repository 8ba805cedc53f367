// Hand-written OpenAPI schemas of the other bodies exchanged: Subscription, Patient $merge Parameters, the token answer.
import { META } from './answer-schemas';

type Schema = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

export const SUBSCRIPTION: Schema = {
  type: 'object',
  description: 'A FHIR R4 Subscription to the vaccination-record-change signal (docs/api.md §6).',
  required: ['resourceType', 'status', 'reason', 'criteria', 'channel'],
  properties: {
    resourceType: { type: 'string', enum: ['Subscription'] },
    id: { type: 'string', format: 'uuid', description: 'Server-assigned; required on update, equal to the path id.' },
    meta: META,
    status: { type: 'string', enum: ['requested', 'active', 'error', 'off'] },
    reason: { type: 'string' },
    criteria: {
      type: 'string',
      description:
        'eventType=imms-vaccination-record-change-1 plus optional & filters: immunisationtype, action, sourceorganisation, sourceapplication, subjectage(.lt/.gt).',
      example: 'eventType=imms-vaccination-record-change-1&immunisationtype=FLU&action=create',
    },
    error: { type: 'string', description: 'Why deliveries stopped (status error).' },
    end: { type: 'string', format: 'date-time' },
    channel: {
      type: 'object',
      required: ['type'],
      properties: {
        type: { type: 'string', enum: ['rest-hook', 'message'] },
        endpoint: {
          type: 'string',
          description: 'http(s) URL (rest-hook) or nats:<subject> (message).',
          example: 'https://hooks.example.org/imms',
        },
        payload: { type: 'string', enum: ['application/fhir+json', 'application/cloudevents+json'] },
        header: { type: 'array', items: { type: 'string', example: 'Authorization: Bearer abc' } },
      },
    },
  },
  example: {
    resourceType: 'Subscription',
    status: 'requested',
    reason: 'Flu vaccinations recorded by others',
    criteria: 'eventType=imms-vaccination-record-change-1&immunisationtype=FLU',
    channel: { type: 'rest-hook', endpoint: 'https://hooks.example.org/imms', payload: 'application/fhir+json' },
  },
};

export const PARAMETERS: Schema = {
  type: 'object',
  description: 'A FHIR Parameters resource (operation inputs and outputs).',
  required: ['resourceType'],
  properties: {
    resourceType: { type: 'string', enum: ['Parameters'] },
    parameter: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name'],
        properties: {
          name: { type: 'string' },
          valueString: { type: 'string' },
          valueInteger: { type: 'integer' },
          valueBoolean: { type: 'boolean' },
          valueIdentifier: ref('Identifier'),
          resource: { type: 'object' },
          part: { type: 'array', items: { type: 'object' } },
        },
      },
    },
  },
};

export const TOKEN_RESPONSE: Schema = {
  type: 'object',
  required: ['access_token', 'token_type', 'expires_in'],
  properties: {
    access_token: { type: 'string', description: 'An RS256 JWT signed by the server key.' },
    token_type: { type: 'string', enum: ['Bearer'] },
    expires_in: { type: 'integer', example: 599 },
  },
};
