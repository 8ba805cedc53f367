import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { FHIR_BASE_PATH } from '../../src/config/app-config';
import { startTestApp, TestApp } from '../support/test-app';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The NHS OpenAPI document this service is a drop-in for; its paths are relative to the FHIR base. */
const SEED: Json = JSON.parse(readFileSync(join(__dirname, '../fixtures/spec/immunisation-fhir-api.openapi.json'), 'utf8'));
const PACKAGE: Json = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8'));
const EXAMPLE: Json = JSON.parse(readFileSync(join(__dirname, '../../examples/immunization-create.json'), 'utf8'));
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

/**
 * Where docs/api.md deliberately differs from the seed on whether a parameter is required (the
 * documentation wins over the seed), keyed `operationId name/in`.
 */
const REQUIRED_DEVIATIONS: Record<string, string> = {
  'searchImmunizationGet patient.identifier/query': 'not required when identifier is used (docs/api.md §5)',
  'updateImmunization E-Tag/header': 'If-Match may be sent instead (docs/api.md §2)',
};

function deref(node: Json, root: Json): Json {
  if (node && typeof node.$ref === 'string') {
    return node.$ref
      .replace(/^#\//, '')
      .split('/')
      .reduce((at: Json, k: string) => at[k], root);
  }
  return node;
}

describe('OpenAPI document (/docs-json)', () => {
  let t: TestApp;
  let doc: Json;
  beforeAll(async () => {
    t = await startTestApp();
    const res = await t.http.get('/docs-json');
    expect(res.status).toBe(200);
    doc = res.body;
  });
  afterAll(() => t?.close());

  it('is a valid OpenAPI 3 document (@apidevtools/swagger-parser)', () => {
    const run = spawnSync(process.execPath, [join(__dirname, 'support/validate-openapi.mjs')], {
      input: JSON.stringify(doc),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stdout.trim()).toBe('valid');
    // The validator does say no: a document that breaks the OpenAPI schema is refused.
    const broken = spawnSync(process.execPath, [join(__dirname, 'support/validate-openapi.mjs')], {
      input: JSON.stringify({ ...doc, paths: { '/x': { get: { responses: 'none' } } } }),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(broken.stdout).toMatch(/^invalid/);
    expect(doc.openapi).toMatch(/^3\.0\./);
  });

  it('has every path, method, parameter (name, in, required) and response code of the NHS document', () => {
    const problems: string[] = [];
    for (const [seedPath, seedItem] of Object.entries<Json>(SEED.paths)) {
      const ours = doc.paths[`${FHIR_BASE_PATH}${seedPath}`];
      if (!ours) {
        problems.push(`missing path ${seedPath}`);
        continue;
      }
      for (const method of METHODS.filter((m) => seedItem[m])) {
        const seedOp = seedItem[method];
        const op = ours[method];
        if (!op) {
          problems.push(`missing ${method.toUpperCase()} ${seedPath}`);
          continue;
        }
        if (op.operationId !== seedOp.operationId)
          problems.push(`${method} ${seedPath}: operationId ${op.operationId}, seed ${seedOp.operationId}`);
        const ourParams = (op.parameters ?? []).map((p: Json) => deref(p, doc));
        for (const sp of (seedOp.parameters ?? []).map((p: Json) => deref(p, SEED))) {
          const mine = ourParams.find((p: Json) => p.name === sp.name && p.in === sp.in);
          const key = `${seedOp.operationId} ${sp.name}/${sp.in}`;
          if (!mine) problems.push(`${key}: missing parameter`);
          else if (Boolean(mine.required) !== Boolean(sp.required) && !REQUIRED_DEVIATIONS[key]) {
            problems.push(`${key}: required ${Boolean(mine.required)}, seed ${Boolean(sp.required)}`);
          }
        }
        if (seedOp.requestBody) {
          const seedBody = deref(seedOp.requestBody, SEED);
          for (const type of Object.keys(seedBody.content)) {
            if (!op.requestBody?.content?.[type]) problems.push(`${seedOp.operationId}: request body ${type} missing`);
          }
        }
        const codes = Object.keys(op.responses);
        for (const code of Object.keys(seedOp.responses)) {
          const present = /^[1-5]XX$/.test(code) ? codes.some((c) => c[0] === code[0]) : codes.includes(code);
          if (!present) problems.push(`${seedOp.operationId}: response ${code} missing`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('names every deviation from the seed it allows, and each is a real one', () => {
    for (const key of Object.keys(REQUIRED_DEVIATIONS)) {
      const [operationId, param] = key.split(' ');
      const [name, location] = param.split('/');
      const seedOp = Object.values<Json>(SEED.paths)
        .flatMap((i) => METHODS.map((m) => i[m]).filter(Boolean))
        .find((o) => o.operationId === operationId);
      const sp = seedOp.parameters.map((p: Json) => deref(p, SEED)).find((p: Json) => p.name === name && p.in === location);
      expect(sp.required).toBe(true);
    }
  });

  it('describes FHIR resources in components.schemas and uses them', () => {
    for (const name of [
      'Immunization',
      'Patient',
      'Practitioner',
      'BundleSearchset',
      'BundleHistory',
      'OperationOutcome',
      'CapabilityStatement',
      'Subscription',
      'Parameters',
    ]) {
      expect(doc.components.schemas[name]).toBeDefined();
    }
    const create = doc.paths[`${FHIR_BASE_PATH}/Immunization`].post;
    expect(create.requestBody.content['application/fhir+json'].schema).toEqual({ $ref: '#/components/schemas/Immunization' });
    expect(create.requestBody.content['application/fhir+json'].example).toEqual(EXAMPLE);
    const search = doc.paths[`${FHIR_BASE_PATH}/Immunization`].get;
    expect(search.responses['200'].content['application/fhir+json'].schema).toEqual({ $ref: '#/components/schemas/BundleSearchset' });
    expect(doc.paths[`${FHIR_BASE_PATH}/metadata`].get.responses['200'].content['application/fhir+json'].schema).toEqual({
      $ref: '#/components/schemas/CapabilityStatement',
    });
  });

  it('accepts the create example with its own Immunization schema, and refuses an element the service does not take', () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema({ components: doc.components }, 'doc');
    const validate = ajv.compile({ $ref: 'doc#/components/schemas/Immunization' });
    expect(validate(EXAMPLE)).toBe(true);
    expect(validate({ ...EXAMPLE, note: [{ text: 'x' }] })).toBe(false);
  });

  it('gives every FHIR operation OperationOutcome error answers and the id headers', () => {
    for (const [path, item] of Object.entries<Json>(doc.paths).filter(([p]) => p.startsWith(FHIR_BASE_PATH))) {
      for (const method of METHODS.filter((m) => item[m])) {
        const op = item[method];
        const errors = Object.keys(op.responses).filter((c) => c >= '400');
        expect({ path, method, errors: errors.length > 0 }).toEqual({ path, method, errors: true });
        for (const code of errors)
          expect(op.responses[code].content['application/fhir+json'].schema).toEqual({ $ref: '#/components/schemas/OperationOutcome' });
        const params = op.parameters.map((p: Json) => `${p.name}/${p.in}`);
        expect(params).toEqual(expect.arrayContaining(['X-Request-ID/header', 'X-Correlation-ID/header']));
      }
    }
    const create = doc.paths[`${FHIR_BASE_PATH}/Immunization`].post.responses;
    expect(Object.keys(create)).toEqual(expect.arrayContaining(['201', '400', '401', '403', '413', '415', '422', '429', '500']));
    expect(Object.keys(create['201'].headers)).toEqual(
      expect.arrayContaining(['Location', 'ETag', 'E-Tag', 'Last-Modified', 'X-Request-ID', 'X-Correlation-ID']),
    );
    const update = doc.paths[`${FHIR_BASE_PATH}/Immunization/{id}`].put;
    expect(Object.keys(update.responses)).toEqual(expect.arrayContaining(['200', '404', '412']));
    expect(update.parameters.find((p: Json) => p.name === 'If-Match').schema.pattern).toBeDefined();
    expect(create['429'].headers['Retry-After']).toBeDefined();
  });

  it('types the search parameters, with the vaccine types as an enum', () => {
    const params = doc.paths[`${FHIR_BASE_PATH}/Immunization`].get.parameters;
    const byName = (n: string) => params.find((p: Json) => p.name === n);
    const types = Object.keys(JSON.parse(readFileSync(join(__dirname, '../../config/vaccine-types.json'), 'utf8')));
    expect(byName('-immunization.target').schema.enum).toEqual(types);
    expect(byName('-date.from').schema.format).toBe('date');
    expect(byName('_count').schema.type).toBe('integer');
    expect(byName('patient.identifier').schema.example).toMatch(/^https:\/\/fhir\.nhs\.uk\/Id\/nhs-number\|\d{10}$/);
  });

  it('keeps <placeholders> in descriptions visible once rendered as Markdown', () => {
    const texts: string[] = [];
    (function collect(n: Json) {
      if (Array.isArray(n)) return n.forEach(collect);
      if (n && typeof n === 'object') {
        for (const [k, v] of Object.entries(n)) {
          if ((k === 'description' || k === 'summary') && typeof v === 'string') texts.push(v);
          else if (k !== 'example') collect(v);
        }
      }
    })(doc);
    const raw = texts.map((s) => s.replace(/`[^`]*`/g, '')).filter((s) => /<[^>]*>/.test(s));
    expect(raw).toEqual([]);
    const patient = doc.paths[`${FHIR_BASE_PATH}/Immunization`].get.parameters.find((p: Json) => p.name === 'patient.identifier');
    expect(patient.description).toContain('&lt;NHS number&gt;');
  });

  it('shows no padlock on public routes, one on the rest, and the package version', () => {
    expect(doc.info.version).toBe(PACKAGE.version);
    expect(doc.paths['/oauth2/token'].post.security).toEqual([]);
    expect(doc.paths['/health/live'].get.security).toEqual([]);
    expect(doc.paths[`${FHIR_BASE_PATH}/metadata`].get.security).toEqual([]);
    expect(doc.paths[`${FHIR_BASE_PATH}/Immunization`].post.security).toBeUndefined();
    expect(doc.security).toEqual([{ bearer: [] }]);
  });
});
