import { buildImmunizationSchema } from '../immunization/public';
import { bundleSchema, CAPABILITY_STATEMENT, META, OPERATION_OUTCOME } from './answer-schemas';
import { PARAMETERS, SUBSCRIPTION, TOKEN_RESPONSE } from './exchange-schemas';

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
    BundleSearchset: bundleSchema(
      'searchset',
      'Search result: matches newest first, the Patient as an include entry, warnings as an outcome entry.',
    ),
    BundleHistory: bundleSchema('history', 'History of one record (newest first) or the change feed (oldest first).'),
    CapabilityStatement: CAPABILITY_STATEMENT,
    Subscription: SUBSCRIPTION,
    Parameters: PARAMETERS,
    TokenResponse: TOKEN_RESPONSE,
  };
}
