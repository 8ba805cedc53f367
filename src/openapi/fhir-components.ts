import { buildImmunizationSchema } from '../immunization/public';

type Schema = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** The elements the national create example requires (the NHS OpenAPI document's request schema). */
const IMMUNIZATION_REQUIRED = [
  'resourceType',
  'contained',
  'extension',
  'identifier',
  'status',
  'vaccineCode',
  'patient',
  'occurrenceDateTime',
  'recorded',
  'primarySource',
  'location',
  'performer',
  'protocolApplied',
];

/**
 * Draft-07 → OpenAPI 3.0 schema object: `#/definitions/` refs move to components, `const` becomes a
 * one-value `enum`, and the validator's if/then/else discriminator on `contained` becomes a oneOf.
 */
function toOpenApi(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toOpenApi);
  if (node === null || typeof node !== 'object') return node;
  const src = node as Schema;
  if ('if' in src && 'then' in src) return { oneOf: [ref('Patient'), ref('Practitioner')] };
  const out: Schema = {};
  for (const [k, v] of Object.entries(src)) {
    if (k === '$ref' && typeof v === 'string') out.$ref = v.replace('#/definitions/', '#/components/schemas/');
    else if (k === 'const') out.enum = [v];
    else if (k === 'properties') out.properties = Object.fromEntries(Object.entries(v as Schema).map(([p, s]) => [p, toOpenApi(s)]));
    else out[k] = toOpenApi(v);
  }
  // OpenAPI 3.0 ignores siblings of $ref; keep the reference alone.
  if (typeof out.$ref === 'string') return { $ref: out.$ref };
  return out;
}

const META = {
  type: 'object',
  properties: {
    versionId: { type: 'string', description: 'The version number, as in E-Tag (set by the server).', example: '1' },
    lastUpdated: { type: 'string', format: 'date-time', description: 'When this version was stored (set by the server).' },
    profile: { type: 'array', items: { type: 'string' } },
    tag: { type: 'array', items: ref('Coding') },
  },
};

const OPERATION_OUTCOME: Schema = {
  type: 'object',
  description: 'Every error answer. One issue per problem; validation reports every failing rule at once.',
  required: ['resourceType', 'issue'],
  properties: {
    resourceType: { type: 'string', enum: ['OperationOutcome'] },
    id: { type: 'string', format: 'uuid' },
    meta: META,
    issue: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['severity', 'code'],
        properties: {
          severity: { type: 'string', enum: ['fatal', 'error', 'warning', 'information'] },
          code: {
            type: 'string',
            enum: [
              'invalid',
              'invariant',
              'login',
              'forbidden',
              'not-found',
              'not-supported',
              'conflict',
              'too-long',
              'duplicate',
              'throttled',
              'exception',
              'transient',
              'unauthorized',
              'informational',
              'processing',
            ],
          },
          details: {
            type: 'object',
            properties: {
              coding: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    system: { type: 'string', enum: ['https://fhir.nhs.uk/Codesystem/http-error-codes'] },
                    code: {
                      type: 'string',
                      enum: [
                        'INVALID',
                        'INVARIANT',
                        'UNAUTHORIZED',
                        'FORBIDDEN',
                        'NOT-FOUND',
                        'NOT-SUPPORTED',
                        'CONFLICT',
                        'PRECONDITION-FAILED',
                        'TOO-LARGE',
                        'DUPLICATE',
                        'TOO-MANY-REQUESTS',
                        'EXCEPTION',
                        'SERVICE-UNAVAILABLE',
                      ],
                    },
                  },
                },
              },
            },
          },
          diagnostics: { type: 'string', description: 'Human-readable: the field, the value and the rule.' },
          expression: { type: 'array', items: { type: 'string' }, description: 'FHIRPath of the element at fault.' },
        },
      },
    },
  },
  example: {
    resourceType: 'OperationOutcome',
    id: '5ad4d0f1-0a4c-4b1b-9f7e-2b0a0e3f2c11',
    meta: { profile: ['https://simplifier.net/guide/UKCoreDevelopment2/ProfileUKCore-OperationOutcome'] },
    issue: [
      {
        severity: 'error',
        code: 'invariant',
        details: { coding: [{ system: 'https://fhir.nhs.uk/Codesystem/http-error-codes', code: 'INVARIANT' }] },
        diagnostics: "Immunization.status must be 'completed'",
        expression: ['Immunization.status'],
      },
    ],
  },
};

function bundle(type: 'searchset' | 'history', description: string): Schema {
  return {
    type: 'object',
    description,
    required: ['resourceType', 'type'],
    properties: {
      resourceType: { type: 'string', enum: ['Bundle'] },
      id: { type: 'string' },
      meta: META,
      type: { type: 'string', enum: [type] },
      total: { type: 'integer', minimum: 0 },
      link: {
        type: 'array',
        items: {
          type: 'object',
          properties: { relation: { type: 'string', enum: ['self', 'next'] }, url: { type: 'string', format: 'uri' } },
        },
      },
      entry: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            fullUrl: { type: 'string' },
            resource: {
              oneOf: type === 'searchset' ? [ref('Immunization'), ref('Patient'), ref('OperationOutcome')] : [ref('Immunization')],
            },
            ...(type === 'searchset'
              ? { search: { type: 'object', properties: { mode: { type: 'string', enum: ['match', 'include', 'outcome'] } } } }
              : {
                  request: {
                    type: 'object',
                    properties: { method: { type: 'string', enum: ['POST', 'PUT', 'DELETE'] }, url: { type: 'string' } },
                  },
                  response: {
                    type: 'object',
                    properties: {
                      status: { type: 'string' },
                      etag: { type: 'string' },
                      lastModified: { type: 'string', format: 'date-time' },
                    },
                  },
                }),
          },
        },
      },
    },
  };
}

const CAPABILITY_STATEMENT: Schema = {
  type: 'object',
  description: 'What this server implements, generated from its routes.',
  required: ['resourceType', 'status', 'kind', 'fhirVersion', 'format'],
  properties: {
    resourceType: { type: 'string', enum: ['CapabilityStatement'] },
    status: { type: 'string', enum: ['active'] },
    date: { type: 'string' },
    kind: { type: 'string', enum: ['instance'] },
    fhirVersion: { type: 'string', enum: ['4.0.1'] },
    format: { type: 'array', items: { type: 'string' } },
    rest: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          mode: { type: 'string', enum: ['server'] },
          security: { type: 'object' },
          resource: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                type: { type: 'string' },
                interaction: { type: 'array', items: { type: 'object', properties: { code: { type: 'string' } } } },
                searchParam: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: { name: { type: 'string' }, type: { type: 'string' }, documentation: { type: 'string' } },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};

const SUBSCRIPTION: Schema = {
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

const PARAMETERS: Schema = {
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

const TOKEN_RESPONSE: Schema = {
  type: 'object',
  required: ['access_token', 'token_type', 'expires_in'],
  properties: {
    access_token: { type: 'string', description: 'An RS256 JWT signed by the server key.' },
    token_type: { type: 'string', enum: ['Bearer'] },
    expires_in: { type: 'integer', example: 599 },
  },
};

/**
 * An extension as documented: the value types this API's extensions use. (The validator takes every
 * FHIR value[x]; listing all fifty drags the whole FHIR datatype graph into Swagger UI, which then
 * spends minutes expanding it.)
 */
const EXTENSION: Schema = {
  type: 'object',
  required: ['url'],
  properties: {
    url: { type: 'string', format: 'uri' },
    valueCodeableConcept: ref('CodeableConcept'),
    valueCoding: ref('Coding'),
    valueString: { type: 'string' },
    valueBoolean: { type: 'boolean' },
    valueInteger: { type: 'integer' },
    valueDateTime: { type: 'string' },
    valueReference: ref('Reference'),
    valueIdentifier: ref('Identifier'),
  },
};

/**
 * The documentation copy of the validator's schema: no primitive-extension (`_x`) and nested
 * `extension`/`modifierExtension` elements on datatypes (FHIR allows them, nobody sends them here),
 * and only the definitions still reachable from the resources.
 */
function prune(defs: Record<string, Schema>): Record<string, Schema> {
  for (const [name, def] of Object.entries(defs)) {
    const props = def.properties as Schema | undefined;
    if (!props) continue;
    for (const key of Object.keys(props)) {
      if (key.startsWith('_') || key === 'modifierExtension' || (key === 'extension' && name !== 'Immunization')) delete props[key];
    }
  }
  defs.Extension = EXTENSION;
  const keep = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node === null || typeof node !== 'object') return;
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') {
        const target = v.slice(v.lastIndexOf('/') + 1);
        if (!keep.has(target)) {
          keep.add(target);
          visit(defs[target]);
        }
      } else visit(v);
    }
  };
  for (const root of ['Immunization', 'Patient', 'Practitioner', 'Identifier', 'Coding']) {
    keep.add(root);
    visit(defs[root]);
  }
  return Object.fromEntries(Object.entries(defs).filter(([name]) => keep.has(name)));
}

/** components.schemas: the Immunization the validator accepts, and every other resource the API exchanges. */
export function fhirComponentSchemas(): Record<string, unknown> {
  const { schema } = buildImmunizationSchema();
  const defs = prune(toOpenApi((schema as { definitions: Schema }).definitions) as Record<string, Schema>);
  defs.Immunization = {
    ...defs.Immunization,
    description:
      'A FHIR R4 Immunization as this service accepts it (docs/validation-rules.md). Unknown and not-allowed elements are refused.',
    required: IMMUNIZATION_REQUIRED,
  };
  defs.Immunization.properties = { ...(defs.Immunization.properties as Schema), meta: META };
  return {
    ...defs,
    OperationOutcome: OPERATION_OUTCOME,
    BundleSearchset: bundle(
      'searchset',
      'Search result: matches newest first, the Patient as an include entry, warnings as an outcome entry.',
    ),
    BundleHistory: bundle('history', 'History of one record (newest first) or the change feed (oldest first).'),
    CapabilityStatement: CAPABILITY_STATEMENT,
    Subscription: SUBSCRIPTION,
    Parameters: PARAMETERS,
    TokenResponse: TOKEN_RESPONSE,
  };
}
