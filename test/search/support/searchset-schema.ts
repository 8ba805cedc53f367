import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { ValidateFunction } from 'ajv';

/**
 * The seed OpenAPI spec's `200-imms-search` response schema, $refs resolved, compiled with Ajv; every
 * searchset Bundle the e2e suites get back goes through it.
 *
 * Contract §5 (which wins over the seed where they differ) adds three things the seed schema does
 * not describe; each gets a small, named amendment and nothing else is relaxed:
 *  1. warnings: an entry with `search.mode` `outcome` holding an OperationOutcome. Those entries are
 *     checked against the seed's own `components/schemas/OperationOutcome` (its issue-code list
 *     plus `unauthorized`, the code docs/api.md §4 names) and the rest of the Bundle against the
 *     unchanged seed schema.
 *  2. `_elements=id,meta` (identifier search): the trimmed Immunization keeps only resourceType, id
 *     and meta, each still checked with the seed's own definitions of those elements.
 *  3. a record without an NHS number (only identifier search finds it): `patient` has no
 *     `identifier`, because there is none.
 */
/** The NHS seed OpenAPI document, copied into the repository (test/fixtures/spec/). */
const SPEC = join(__dirname, '../../fixtures/spec/immunisation-fhir-api.openapi.json');

type Json = any;

function resolveRefs(node: Json, root: Json): Json {
  if (Array.isArray(node)) return node.map((n) => resolveRefs(n, root));
  if (node === null || typeof node !== 'object') return node;
  if (typeof node.$ref === 'string') {
    const target = node.$ref
      .replace(/^#\//, '')
      .split('/')
      .reduce((at: Json, key: string) => at[key], root);
    return resolveRefs(target, root);
  }
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, resolveRefs(v, root)]));
}

const spec = JSON.parse(readFileSync(SPEC, 'utf8'));
const ajv = new Ajv({ allErrors: true, strict: false });

/** The seed schema, unchanged. */
export const seedSearchsetSchema: Json = resolveRefs(
  spec.components.responses['200-imms-search'].content['application/fhir+json'].schema,
  spec,
);

const clone = (x: Json) => JSON.parse(JSON.stringify(x));
const immunizationSchema = (s: Json) => s.properties.entry.items.properties.resource.oneOf[0];

const strict = ajv.compile(seedSearchsetSchema);

const subsetted = (() => {
  const s = clone(seedSearchsetSchema);
  const imms = immunizationSchema(s);
  imms.required = ['resourceType'];
  imms.properties = { resourceType: imms.properties.resourceType, id: imms.properties.id, meta: imms.properties.meta };
  imms.additionalProperties = false;
  return ajv.compile(s);
})();

const withoutNhsNumber = (() => {
  const s = clone(seedSearchsetSchema);
  const patient = immunizationSchema(s).properties.patient;
  patient.required = patient.required.filter((r: string) => r !== 'identifier');
  return ajv.compile(s);
})();

const outcome = (() => {
  const s = clone(resolveRefs(spec.components.schemas.OperationOutcome, spec));
  s.properties.issue.items.properties.code.enum.push('unauthorized');
  s.required = ['resourceType', 'issue'];
  return ajv.compile(s);
})();

function check(validate: ValidateFunction, value: unknown, what: string) {
  if (!validate(value)) throw new Error(`${what} does not match the seed schema: ${ajv.errorsText(validate.errors, { separator: '\n' })}`);
}

export interface SchemaOptions {
  /** The request used `_elements` (amendment 2). */
  subsetted?: boolean;
  /** The match has no NHS number (amendment 3). */
  withoutNhsNumber?: boolean;
}

/** Throws, listing every schema violation, unless `bundle` is a searchset the seed schema accepts (as amended above). */
export function assertSeedSearchset(bundle: Json, o: SchemaOptions = {}) {
  const entries: Json[] = Array.isArray(bundle?.entry) ? bundle.entry : [];
  const outcomes = entries.filter((e) => e?.search?.mode === 'outcome');
  for (const e of outcomes) {
    if (typeof e.fullUrl !== 'string') throw new Error('outcome entry without fullUrl');
    check(outcome, e.resource, 'outcome entry');
  }
  const rest = { ...bundle, entry: entries.filter((e) => e?.search?.mode !== 'outcome') };
  check(o.subsetted ? subsetted : o.withoutNhsNumber ? withoutNhsNumber : strict, rest, 'searchset Bundle');
}
