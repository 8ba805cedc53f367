// Hand-written OpenAPI schemas of what every FHIR answer can be: an OperationOutcome, a Bundle, the CapabilityStatement.
type Schema = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** meta as the server sets it on every stored resource. */
export const META = {
  type: 'object',
  properties: {
    versionId: { type: 'string', description: 'The version number, as in E-Tag (set by the server).', example: '1' },
    lastUpdated: { type: 'string', format: 'date-time', description: 'When this version was stored (set by the server).' },
    profile: { type: 'array', items: { type: 'string' } },
    tag: { type: 'array', items: ref('Coding') },
  },
};

export const OPERATION_OUTCOME: Schema = {
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

export function bundleSchema(type: 'searchset' | 'history', description: string): Schema {
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

export const CAPABILITY_STATEMENT: Schema = {
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
