import { FHIR_INTERACTIONS, FhirOperationId } from '../fhir/capability/fhir-interactions';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// What each route answers in the OpenAPI document: success headers and schema, and the errors it gives.

export const HEADERS: Json = {
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

export const ERROR_TEXT: Record<string, string> = {
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

export interface RouteDoc {
  operationId: string;
  errors: number[];
  request?: string;
  success?: { status: string; schema?: string; headers?: string[]; note?: string };
  example?: boolean;
  description?: string;
}

const READ_ERRORS = [400, 401, 403, 404, 406, 429, 500, 503];
/** Every operation not in ROUTES (added by modules documented elsewhere) still lists the common errors. */
export const DEFAULT_ERRORS = [400, 401, 403, 404, 406, 409, 413, 415, 429, 500];

/** What each FHIR interaction answers (FHIR_INTERACTIONS gives its method and path): one for each, the compiler checks. */
const FHIR_ROUTES: Record<FhirOperationId, Omit<RouteDoc, 'operationId'>> = {
  createImmunization: {
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
  searchImmunizationGet: {
    errors: [400, 401, 403, 406, 429, 500, 503],
    success: { status: '200', schema: 'BundleSearchset' },
  },
  searchImmunizationPost: {
    errors: [400, 401, 403, 406, 413, 415, 429, 500, 503],
    success: { status: '200', schema: 'BundleSearchset' },
  },
  readImmunization: {
    errors: READ_ERRORS,
    success: { status: '200', schema: 'Immunization', headers: ['ETag', 'E-Tag', 'Last-Modified'] },
  },
  updateImmunization: {
    errors: [400, 401, 403, 404, 406, 412, 413, 415, 429, 500, 503],
    request: 'Immunization',
    success: {
      status: '200',
      schema: 'Immunization',
      headers: ['ETag', 'E-Tag', 'Last-Modified'],
      note: 'Body only with `Prefer: return=representation`.',
    },
  },
  deleteImmunization: {
    errors: [400, 401, 403, 404, 429, 500, 503],
    success: { status: '204' },
  },
  historyImmunization: {
    errors: READ_ERRORS,
    success: { status: '200', schema: 'BundleHistory' },
  },
  vreadImmunization: {
    errors: READ_ERRORS,
    success: { status: '200', schema: 'Immunization', headers: ['ETag', 'E-Tag', 'Last-Modified'] },
  },
  changeFeedImmunization: {
    errors: [400, 401, 406, 429, 500, 503],
    success: { status: '200', schema: 'BundleHistory' },
  },
  capabilities: { errors: [406, 500], success: { status: '200', schema: 'CapabilityStatement' } },
  mergePatient: { errors: DEFAULT_ERRORS },
  createSubscription: {
    errors: [400, 401, 403, 406, 413, 415, 429, 500, 503],
    request: 'Subscription',
    success: { status: '201', schema: 'Subscription', headers: ['Location', 'ETag', 'Last-Modified'] },
  },
  searchSubscription: {
    errors: [401, 406, 429, 500, 503],
    success: { status: '200', schema: 'BundleSearchset' },
  },
  readSubscription: {
    errors: READ_ERRORS,
    success: { status: '200', schema: 'Subscription', headers: ['ETag', 'Last-Modified'] },
  },
  updateSubscription: {
    errors: [400, 401, 403, 404, 406, 412, 413, 415, 429, 500, 503],
    request: 'Subscription',
    success: { status: '200', schema: 'Subscription', headers: ['ETag', 'Last-Modified'] },
  },
  deleteSubscription: {
    errors: [400, 401, 403, 404, 429, 500, 503],
    success: { status: '204' },
  },
};

/** What each route of ours answers, keyed by `METHOD path` (FHIR paths relative to the base). */
export const ROUTES: Record<string, RouteDoc> = {
  ...Object.fromEntries(
    FHIR_INTERACTIONS.map((i) => [`${i.method} ${i.path}`, { operationId: i.operationId, ...FHIR_ROUTES[i.operationId] }]),
  ),
  'POST /oauth2/token': {
    operationId: 'token',
    errors: [400, 401, 413, 415, 429, 500],
    success: { status: '200', schema: 'TokenResponse' },
  },
  'GET /.well-known/jwks.json': { operationId: 'jwks', errors: [500] },
  'GET /health/live': { operationId: 'healthLive', errors: [] },
  'GET /health/ready': { operationId: 'healthReady', errors: [] },
};
