import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OpenAPIObject } from '@nestjs/swagger';
import { FHIR_BASE_PATH, PROJECT_ROOT } from '../config/app-config';
import { fhirComponentSchemas } from './fhir-components';
import { HEADER_TEXT, parameterSchema } from './parameter-docs';
import { DEFAULT_ERRORS, ERROR_TEXT, HEADERS, ROUTES } from './route-docs';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const FHIR_JSON = 'application/fhir+json';
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** The create example of the NHS OpenAPI document, shipped as examples/immunization-create.json. */
export const CREATE_EXAMPLE_FILE = join(PROJECT_ROOT, 'examples', 'immunization-create.json');

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
