import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OpenAPIObject } from '@nestjs/swagger';
import { FHIR_BASE_PATH, PROJECT_ROOT } from '../config/app-config';
import { fhirComponentSchemas } from './fhir-components';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const FHIR_JSON = 'application/fhir+json';
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

/** The create example of the NHS OpenAPI document, shipped as examples/immunization-create.json. */
export const CREATE_EXAMPLE_FILE = join(PROJECT_ROOT, 'examples', 'immunization-create.json');

const HEADERS: Json = {
  'X-Request-ID': { description: 'The X-Request-ID the client sent, mirrored.', schema: { type: 'string' } },
  'X-Correlation-ID': { description: 'The X-Correlation-ID the client sent, mirrored.', schema: { type: 'string' } },
  Location: {
    description: 'The new record: `<PUBLIC_BASE_URL>/immunisation-fhir-api/FHIR/R4/Immunization/<id>`.',
    schema: { type: 'string', format: 'uri' },
  },
  ETag: { description: 'FHIR version tag, `W/"<version>"`.', schema: { type: 'string', example: 'W/"1"' } },
  'E-Tag': { description: 'NHS version header: the bare version number.', schema: { type: 'integer', minimum: 1, example: 1 } },
  'Last-Modified': { description: 'When this version was stored (HTTP date).', schema: { type: 'string' } },
  'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer' } },
  'WWW-Authenticate': { description: 'Always `Bearer`.', schema: { type: 'string' } },
  Allow: { description: 'The methods this route takes.', schema: { type: 'string' } },
};

const ERROR_TEXT: Record<string, string> = {
  '400': 'INVALID (malformed JSON, bad id, bad search parameter) or INVARIANT (validation rules, version header, id on create)',
  '401': 'UNAUTHORIZED: no bearer token, or a malformed, expired or untrusted one',
  '403': 'FORBIDDEN: the supplier lacks the permission for this operation or vaccine type',
  '404': 'NOT-FOUND: no live record with this id',
  '405': 'NOT-SUPPORTED: the route does not take this method (Allow lists the ones it does)',
  '406': 'NOT-SUPPORTED: Accept or _format rules out JSON',
  '409': 'CONFLICT: the request conflicts with what is stored',
  '412': 'PRECONDITION-FAILED: If-Match names another version',
  '413': 'TOO-LARGE: the body is over MAX_BODY_BYTES',
  '415': 'NOT-SUPPORTED: a Content-Type this route does not take',
  '422': 'DUPLICATE: a live record already has this identifier',
  '429': 'TOO-MANY-REQUESTS: over the supplier rate limit',
  '500': 'EXCEPTION: unexpected; no internals are given',
  '503': 'SERVICE-UNAVAILABLE: the database cannot be reached for the moment',
};

interface RouteDoc {
  operationId: string;
  errors: number[];
  request?: string;
  success?: { status: string; schema?: string; headers?: string[]; note?: string };
  example?: boolean;
  description?: string;
}

const READ_ERRORS = [400, 401, 403, 404, 406, 429, 500, 503];
/** What each route of ours answers, keyed by `METHOD path` (FHIR paths relative to the base). */
const ROUTES: Record<string, RouteDoc> = {
  'POST /Immunization': {
    operationId: 'createImmunization',
    errors: [400, 401, 403, 406, 413, 415, 422, 429, 500, 503],
    request: 'Immunization',
    example: true,
    success: {
      status: '201',
      schema: 'Immunization',
      headers: ['Location', 'ETag', 'E-Tag', 'Last-Modified'],
      note: 'Body only with `Prefer: return=representation`.',
    },
    description:
      'The request example is the NHS create example. In Swagger UI, "Try it out" sends it with a fresh `identifier[0].value` each time ' +
      '(the identifier must be unique among live records, or the answer is 422 DUPLICATE); edit the body freely otherwise.',
  },
  'GET /Immunization': {
    operationId: 'searchImmunizationGet',
    errors: [400, 401, 403, 406, 429, 500, 503],
    success: { status: '200', schema: 'BundleSearchset' },
  },
  'POST /Immunization/_search': {
    operationId: 'searchImmunizationPost',
    errors: [400, 401, 403, 406, 413, 415, 429, 500, 503],
    success: { status: '200', schema: 'BundleSearchset' },
  },
  'GET /Immunization/{id}': {
    operationId: 'readImmunization',
    errors: READ_ERRORS,
    success: { status: '200', schema: 'Immunization', headers: ['ETag', 'E-Tag', 'Last-Modified'] },
  },
  'PUT /Immunization/{id}': {
    operationId: 'updateImmunization',
    errors: [400, 401, 403, 404, 406, 412, 413, 415, 429, 500, 503],
    request: 'Immunization',
    success: {
      status: '200',
      schema: 'Immunization',
      headers: ['ETag', 'E-Tag', 'Last-Modified'],
      note: 'Body only with `Prefer: return=representation`.',
    },
  },
  'DELETE /Immunization/{id}': {
    operationId: 'deleteImmunization',
    errors: [400, 401, 403, 404, 429, 500, 503],
    success: { status: '204' },
  },
  'GET /Immunization/{id}/_history': {
    operationId: 'historyImmunization',
    errors: READ_ERRORS,
    success: { status: '200', schema: 'BundleHistory' },
  },
  'GET /Immunization/{id}/_history/{vid}': {
    operationId: 'vreadImmunization',
    errors: READ_ERRORS,
    success: { status: '200', schema: 'Immunization', headers: ['ETag', 'E-Tag', 'Last-Modified'] },
  },
  'GET /Immunization/_history': {
    operationId: 'changeFeedImmunization',
    errors: [400, 401, 406, 429, 500, 503],
    success: { status: '200', schema: 'BundleHistory' },
  },
  'GET /metadata': { operationId: 'capabilities', errors: [406, 500], success: { status: '200', schema: 'CapabilityStatement' } },
  'POST /Subscription': {
    operationId: 'createSubscription',
    errors: [400, 401, 403, 406, 413, 415, 429, 500, 503],
    request: 'Subscription',
    success: { status: '201', schema: 'Subscription', headers: ['Location', 'ETag', 'Last-Modified'] },
  },
  'GET /Subscription': {
    operationId: 'searchSubscription',
    errors: [401, 406, 429, 500, 503],
    success: { status: '200', schema: 'BundleSearchset' },
  },
  'GET /Subscription/{id}': {
    operationId: 'readSubscription',
    errors: READ_ERRORS,
    success: { status: '200', schema: 'Subscription', headers: ['ETag', 'Last-Modified'] },
  },
  'PUT /Subscription/{id}': {
    operationId: 'updateSubscription',
    errors: [400, 401, 403, 404, 406, 412, 413, 415, 429, 500, 503],
    request: 'Subscription',
    success: { status: '200', schema: 'Subscription', headers: ['ETag', 'Last-Modified'] },
  },
  'DELETE /Subscription/{id}': {
    operationId: 'deleteSubscription',
    errors: [400, 401, 403, 404, 429, 500, 503],
    success: { status: '204' },
  },
  'POST /oauth2/token': {
    operationId: 'token',
    errors: [400, 401, 413, 415, 429, 500],
    success: { status: '200', schema: 'TokenResponse' },
  },
  'GET /.well-known/jwks.json': { operationId: 'jwks', errors: [500] },
  'GET /health/live': { operationId: 'healthLive', errors: [] },
  'GET /health/ready': { operationId: 'healthReady', errors: [] },
};

/** Every operation not in ROUTES (added by modules documented elsewhere) still lists the common errors. */
const DEFAULT_ERRORS = [400, 401, 403, 404, 406, 409, 413, 415, 429, 500];

const VACCINE_TYPES = Object.keys(JSON.parse(readFileSync(join(PROJECT_ROOT, 'config', 'vaccine-types.json'), 'utf8')) as object);

/**
 * Types, enums, patterns and examples of parameters, by name and location. Swagger UI pre-fills
 * "Try it out" with an example, so only parameters that combine with each other get one: an example
 * X-Request-ID would turn every create into a retry of the first, an example identifier or
 * target-disease would make every patient search a 400.
 */
function parameterSchema(name: string, location: string, maxCount: number): Json | undefined {
  if (location === 'path' && (name === 'id' || name === 'vid')) {
    return name === 'id'
      ? { type: 'string', pattern: '^[A-Za-z0-9\\-.]{1,64}$', example: '29dc4e84-7e72-11ee-b962-0242ac120002' }
      : { type: 'integer', minimum: 1, example: 1 };
  }
  const byName: Record<string, Json> = {
    'patient.identifier': {
      type: 'string',
      pattern: '^https://fhir\\.nhs\\.uk/Id/nhs-number\\|[0-9]{10}$',
      example: 'https://fhir.nhs.uk/Id/nhs-number|9449310475',
    },
    '-immunization.target': { type: 'string', enum: VACCINE_TYPES, example: 'COVID' },
    'target-disease': { type: 'string', pattern: '^http://snomed\\.info/sct\\|[0-9]{6,18}(,http://snomed\\.info/sct\\|[0-9]{6,18})*$' },
    '-date.from': { type: 'string', format: 'date', example: '2020-01-01' },
    '-date.to': { type: 'string', format: 'date', example: '2030-12-31' },
    identifier: { type: 'string', pattern: '^[^|]+\\|.+$' },
    _elements: { type: 'string', enum: ['id', 'meta', 'id,meta'] },
    _include: { type: 'string', enum: ['Immunization:patient'] },
    _count: { type: 'integer', minimum: 0, maximum: maxCount },
    _since: { type: 'string', format: 'date-time', example: '2026-01-01T00:00:00Z' },
    'X-Request-ID': { type: 'string', pattern: UUID_PATTERN },
    'X-Correlation-ID': { type: 'string', pattern: UUID_PATTERN },
    'E-Tag': { type: 'integer', minimum: 1, example: 1 },
    'If-Match': { type: 'string', pattern: '^(W/)?"?[1-9][0-9]*"?$' },
    Prefer: { type: 'string', enum: ['return=minimal', 'return=representation', 'return=OperationOutcome'] },
  };
  return byName[name];
}

const HEADER_TEXT: Record<string, string> = {
  'target-disease': 'e.g. `http://snomed.info/sct|840539006`. ',
  identifier: 'e.g. `https://supplierABC/identifiers/vacc|a7437179-e86e-4855-b68e-24b5jhg3g`. ',
  'X-Request-ID':
    'A UUID for this request: logged, mirrored back, and on create a retry with the same value within 24 h returns the first answer instead of writing twice.',
  'X-Correlation-ID': 'An id that follows a transaction across systems; mirrored back.',
  'E-Tag': 'NHS version precondition: the version last seen. A stale one gives 400 INVARIANT. Send this or If-Match.',
  'If-Match': 'FHIR version precondition, `W/"<version>"`. A stale one gives 412. Send this or E-Tag.',
};

/**
 * Markdown descriptions in Swagger UI drop anything that looks like an HTML tag: escape `<` and `>`
 * outside code spans so `<NHS number>` survives.
 */
export function escapeAngles(text: string): string {
  return text
    .split(/(`[^`]*`)/)
    .map((part) => (part.startsWith('`') ? part : part.replace(/</g, '&lt;').replace(/>/g, '&gt;')))
    .join('');
}

function escapeDescriptions(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(escapeDescriptions);
  if (node === null || typeof node !== 'object') return;
  for (const [k, v] of Object.entries(node as Json)) {
    if ((k === 'description' || k === 'summary') && typeof v === 'string') (node as Json)[k] = escapeAngles(v);
    else if (k !== 'example' && k !== 'examples') escapeDescriptions(v);
  }
}

const errorResponse = (status: number): Json => ({
  description: ERROR_TEXT[String(status)],
  headers: {
    'X-Request-ID': HEADERS['X-Request-ID'],
    'X-Correlation-ID': HEADERS['X-Correlation-ID'],
    ...(status === 401 ? { 'WWW-Authenticate': HEADERS['WWW-Authenticate'] } : {}),
    ...(status === 405 ? { Allow: HEADERS.Allow } : {}),
    ...(status === 429 || status === 503 ? { 'Retry-After': HEADERS['Retry-After'] } : {}),
  },
  content: { [FHIR_JSON]: { schema: ref('OperationOutcome') } },
});

/** The create example as the server answers with it: an id and the server's meta. */
function storedExample(example: Json): Json {
  return {
    ...example,
    id: '5f0c6f2a-4b8e-4d2b-9a51-3c2d8f7e9b10',
    meta: { versionId: '1', lastUpdated: '2026-01-15T10:00:00.000Z' },
  };
}

export interface OpenApiOptions {
  version: string;
  searchMaxCount: number;
}

const INFO_DESCRIPTION = `FHIR R4 Immunization API: record, read, correct, delete and search vaccination events, with change notifications.
A drop-in for NHS England's Immunisation FHIR API and a generic FHIR R4 server. FHIR routes live under \`${FHIR_BASE_PATH}\`.

**Authorise:** get a token with \`npm run -s token -- --supplier EMIS\` (or POST /oauth2/token with a signed client assertion), press *Authorize* and paste it.
Routes without a padlock need no token.

**Errors** are OperationOutcomes (\`application/fhir+json\`) with the NHS http-error-codes coding:
400 INVALID / INVARIANT, 401 UNAUTHORIZED, 403 FORBIDDEN, 404 NOT-FOUND, 405 NOT-SUPPORTED (a method the route does not take; \`Allow\` lists the others),
406 / 415 NOT-SUPPORTED, 409 CONFLICT, 412 PRECONDITION-FAILED, 413 TOO-LARGE, 422 DUPLICATE, 429 TOO-MANY-REQUESTS, 500 EXCEPTION, 503 SERVICE-UNAVAILABLE.

**Versions:** responses carry \`ETag: W/"<n>"\` and \`E-Tag: <n>\`; an update sends \`E-Tag: <n>\` (stale → 400) or \`If-Match: W/"<n>"\` (stale → 412).

The documentation of every behaviour is in the repository's \`docs/api.md\`.`;

/** Completes the document @nestjs/swagger builds from the controllers with what a FHIR client needs. */
export function completeOpenApiDocument(doc: OpenAPIObject, options: OpenApiOptions): OpenAPIObject {
  const out = doc as Json;
  out.info.version = options.version;
  out.info.description = INFO_DESCRIPTION;
  out.info.license = { name: 'MIT', url: 'https://opensource.org/licenses/MIT' };
  out.components = out.components ?? {};
  out.components.schemas = { ...(out.components.schemas ?? {}), ...fhirComponentSchemas() };
  const example = JSON.parse(readFileSync(CREATE_EXAMPLE_FILE, 'utf8')) as Json;

  for (const [path, item] of Object.entries(out.paths as Json)) {
    const fhir = path.startsWith(FHIR_BASE_PATH);
    const key = fhir ? path.slice(FHIR_BASE_PATH.length) : path;
    for (const [method, op] of Object.entries(item as Json) as [string, Json][]) {
      const route = ROUTES[`${method.toUpperCase()} ${key}`];
      if (route) op.operationId = route.operationId;
      if (op['x-public']) {
        op.security = [];
        delete op['x-public'];
      }
      // Request headers every FHIR route takes.
      op.parameters = op.parameters ?? [];
      if (fhir) {
        for (const name of ['X-Request-ID', 'X-Correlation-ID']) {
          if (!op.parameters.some((p: Json) => p.name === name && p.in === 'header'))
            op.parameters.push({ name, in: 'header', required: false });
        }
      }
      for (const p of op.parameters as Json[]) {
        const schema = parameterSchema(p.name, p.in, options.searchMaxCount);
        if (schema) p.schema = schema;
        const text = HEADER_TEXT[p.name];
        if (text && p.in === 'query') p.description = `${text}${p.description ?? ''}`;
        else if (text && p.in === 'header' && !p.description) p.description = text;
        if (p.name === 'Prefer' && !p.description) p.description = 'What a create or update answers with.';
      }
      // Request body: FHIR JSON, with the schema of the resource.
      if (op.requestBody?.content?.['application/json'] && fhir) {
        const schema = route?.request ? ref(route.request) : op.requestBody.content['application/json'].schema;
        const media: Json = { schema };
        if (route?.example) media.example = example;
        op.requestBody.content = { [FHIR_JSON]: media, 'application/json': { schema } };
        op.requestBody.required = true;
      }
      if (route?.description) op.description = [op.description, route.description].filter(Boolean).join(' ');

      // Responses: the success answer with its headers and schema, then every error the route gives.
      const responses: Json = op.responses ?? {};
      const common = fhir ? { 'X-Request-ID': HEADERS['X-Request-ID'], 'X-Correlation-ID': HEADERS['X-Correlation-ID'] } : {};
      if (route?.success) {
        const s = route.success;
        const r: Json = responses[s.status] ?? { description: 'Success' };
        r.headers = { ...common, ...Object.fromEntries((s.headers ?? []).map((h) => [h, HEADERS[h]])) };
        if (s.schema) r.content = { [fhir ? FHIR_JSON : 'application/json']: { schema: ref(s.schema) } };
        // A stored record as an example, rather than one Swagger UI would make up from the patterns.
        if (s.schema === 'Immunization') r.content[FHIR_JSON].example = storedExample(example);
        if (s.note) r.description = `${String(r.description).replace(/\.?$/, '.')} ${s.note}`;
        responses[s.status] = r;
      } else {
        for (const r of Object.values(responses) as Json[]) if (Object.keys(common).length) r.headers = { ...common, ...(r.headers ?? {}) };
      }
      const errors = route ? route.errors : DEFAULT_ERRORS;
      for (const status of errors) if (!responses[String(status)]) responses[String(status)] = errorResponse(status);
      op.responses = responses;
    }
  }
  escapeDescriptions(out);
  return doc;
}

/**
 * Swagger UI "Try it out" on create: the example's identifier would be a duplicate (422) from the
 * second try on, so the request gets a fresh identifier value while it still holds the example's.
 * A Function built from source text, because Swagger UI receives it as text in the page.
 */
export function freshIdentifierInterceptor(): (req: unknown) => unknown {
  const exampleValue = (JSON.parse(readFileSync(CREATE_EXAMPLE_FILE, 'utf8')) as Json).identifier[0].value as string;
  return new Function(
    'req',
    `
  try {
    if (req.method === 'POST' && /\\/Immunization$/.test(req.url) && typeof req.body === 'string') {
      var body = JSON.parse(req.body);
      var id = body && body.identifier && body.identifier[0];
      if (id && id.value === ${JSON.stringify(exampleValue)}) {
        id.value = (self.crypto && self.crypto.randomUUID) ? self.crypto.randomUUID()
          : 'try-' + Date.now().toString(36) + '-' + Math.random().toString(36).slice(2);
        req.body = JSON.stringify(body, null, 2);
      }
    }
  } catch (e) { /* not JSON: send as typed */ }
  return req;
`,
  ) as (req: unknown) => unknown;
}
