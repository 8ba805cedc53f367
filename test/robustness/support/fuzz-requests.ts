import fc from 'fast-check';
import { BASE } from '../../support/immunization-fixture';

/** One generated HTTP request. `as` names the caller whose token goes in Authorization. */
export interface FuzzRequest {
  kind: string;
  method: string;
  path: string;
  as: 'ALL' | 'FLU_ONLY' | 'READER' | 'NO_GRANTS' | 'none' | 'garbage';
  headers: Record<string, string>;
  body?: string;
  /** The known record or subscription this request targets, if any (for the no-silent-change check). */
  target?: { type: 'record' | 'subscription'; id: string };
}

/** What the generators start from: valid payloads and the records/subscriptions already stored. */
export interface FuzzWorld {
  seeds: Record<string, unknown>[];
  knownRecords: { id: string; body: Record<string, unknown> }[];
  knownSubscriptions: { id: string; body: Record<string, unknown> }[];
  subscriptionSeed: Record<string, unknown>;
  tokenUrl: string;
}

/** Strings a client might send that have broken things before: NUL, lone surrogates, dates, huge numbers. */
const nasty = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\uD800',
  '\uDFFF',
  '%00',
  '%',
  '%E0%A4%A',
  '../../etc/passwd',
  "' OR 1=1 --",
  '"',
  '\\',
  '9'.repeat(40),
  '-1',
  '0',
  '1e309',
  'NaN',
  'null',
  'true',
  '2024-06-31',
  '2024-02-30T25:61:00Z',
  '2024-13-45',
  '0000-00-00T00:00:00Z',
  '9999-12-31T23:59:59.999999999+14:00',
  'x'.repeat(3000),
  '\u202e\u0301',
  '🦠'.repeat(300),
  'https://fhir.nhs.uk/Id/nhs-number|9000000009',
  '|',
  '||',
  'http://snomed.info/sct|',
  'W/"1"',
  '"1"',
  '*',
  '${jndi:ldap://127.0.0.1/x}',
  '<script>alert(1)</script>',
  'Immunization:patient',
  'id,meta',
  'FLU',
  'COVID',
);
export const hostileString = fc.oneof(
  { weight: 3, arbitrary: nasty },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.fullUnicodeString({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ minLength: 200, maxLength: 4000 }) },
);

/** Any JSON value, hostile strings included. */
const leafValue = fc.oneof(
  hostileString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(2 ** 53 + 1),
  fc.constant(-0),
);
export const jsonValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leafValue, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 5 }),
  object: fc.dictionary(
    fc.oneof(
      hostileString,
      fc.constantFrom('resourceType', 'id', 'identifier', 'contained', 'extension', 'url', 'system', 'value', 'coding', 'code'),
    ),
    tie('value'),
    { maxKeys: 5 },
  ),
})).value;

type Json = unknown;

interface Mutation {
  pick: number[];
  op: 'delete' | 'replace' | 'wrap' | 'unwrap' | 'duplicate' | 'empty' | 'stringify' | 'addKey' | 'repeat';
  value: Json;
  key: string;
  times: number;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  pick: fc.array(fc.nat(), { minLength: 1, maxLength: 7 }),
  op: fc.constantFrom('delete', 'replace', 'wrap', 'unwrap', 'duplicate', 'empty', 'stringify', 'addKey', 'repeat'),
  value: jsonValue,
  key: fc.oneof(hostileString, fc.constantFrom('id', 'meta', 'note', 'status', 'resourceType', 'occurrenceString', 'text')),
  times: fc.integer({ min: 2, max: 300 }),
});

/** Applies one mutation to a deep copy: walks down `pick` (indexes modulo the children) and changes that element. */
export function applyMutation(root: Json, m: Mutation): Json {
  const copy = JSON.parse(JSON.stringify(root)) as Json;
  const holder: { v: Json } = { v: copy };
  let parent: any = holder;
  let key: string | number = 'v';
  for (const p of m.pick) {
    const node = parent[key];
    if (node === null || typeof node !== 'object') break;
    const keys: (string | number)[] = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
    if (keys.length === 0) break;
    parent = node;
    key = keys[p % keys.length];
  }
  const current = parent[key];
  switch (m.op) {
    case 'delete':
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
      break;
    case 'replace':
      parent[key] = m.value;
      break;
    case 'wrap':
      parent[key] = [current];
      break;
    case 'unwrap':
      parent[key] = Array.isArray(current) ? current[0] : current && typeof current === 'object' ? Object.values(current)[0] : current;
      break;
    case 'duplicate':
      if (Array.isArray(parent)) parent.push(JSON.parse(JSON.stringify(current ?? null)));
      else parent[key] = [current, current];
      break;
    case 'empty':
      parent[key] = Array.isArray(current) ? [] : typeof current === 'object' && current !== null ? {} : '';
      break;
    case 'stringify':
      parent[key] = JSON.stringify(current ?? null);
      break;
    case 'addKey':
      if (current && typeof current === 'object' && !Array.isArray(current)) (current as Record<string, Json>)[m.key] = m.value;
      else parent[key] = { [m.key]: m.value };
      break;
    case 'repeat':
      parent[key] = new Array(m.times).fill(current ?? 0);
      break;
  }
  return holder.v;
}

/** Every path to a string in a JSON value. */
function stringPaths(v: Json, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (typeof v === 'string') out.push(at);
  else if (Array.isArray(v)) v.forEach((x, i) => stringPaths(x, [...at, i], out));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) stringPaths(x, [...at, k], out);
  return out;
}

/**
 * A valid body with one string swapped for (or extended by) a hostile string, and a fresh
 * identifier: everything else stays valid, so the value travels as deep as validation lets it
 * (to the database, the search projection, the event log).
 */
const oneLeaf = (base: fc.Arbitrary<Json>) =>
  fc.tuple(base, fc.nat(), hostileString, fc.boolean(), fc.uuid()).map(([b, n, bad, append, fresh]) => {
    const copy = JSON.parse(JSON.stringify(b)) as any;
    if (Array.isArray(copy?.identifier) && copy.identifier[0]) copy.identifier[0].value = fresh;
    const paths = stringPaths(copy);
    const path = paths[n % paths.length];
    let node = copy;
    for (const k of path.slice(0, -1)) node = node[k];
    const last = path[path.length - 1];
    node[last] = append ? `${node[last]}${bad}` : bad;
    return copy as Json;
  });

const mutated = (base: fc.Arbitrary<Json>) =>
  fc.tuple(base, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([b, ms]) => ms.reduce((acc, m) => applyMutation(acc, m), b));

/** Percent-encodes UTF-8 bytes (a lone surrogate becomes U+FFFD, as any client would send it). */
const pct = (s: string) =>
  Array.from(Buffer.from(s, 'utf8'), (b) =>
    /[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
  ).join('');

/** An id for a path: mostly URL-encoded hostile strings, some raw percent sequences. */
const pathId = fc.oneof(
  hostileString.map(pct),
  fc.constantFrom('%', '%zz', '%E0%A4%A', '..', '.', '%2e%2e', '%2F', '00000000-0000-0000-0000-000000000000', 'A'.repeat(65), '-', 'a.b'),
  fc.uuid(),
);

const versionHeader = fc.oneof(
  fc.constantFrom('W/"1"', 'W/"2"', '"1"', '1', 'W/"0"', 'W/"-1"', 'W/""', '*', 'W/"99999999999999999999"', 'W/"1", W/"2"', ' W/"1" '),
  fc.string({ maxLength: 30 }),
);

/** Header values Node's client will send (printable ASCII, no CR/LF). */
const headerValue = fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom('', ' ', 'x'.repeat(4000)), versionHeader);
const accept = fc.oneof(
  fc.constantFrom(
    'application/fhir+json',
    'application/json',
    '*/*',
    'text/html',
    'application/xml',
    'application/fhir+json;q=0',
    'application/*;q=0.5, text/*',
    ';;;',
    'application/fhir+json; fhirVersion=3.0',
  ),
  fc.string({ maxLength: 40 }),
);
const contentType = fc.oneof(
  fc.constantFrom(
    'application/fhir+json',
    'application/json',
    'application/fhir+json; charset=utf-16',
    'application/x-www-form-urlencoded',
    'text/plain',
    'multipart/form-data; boundary=x',
    'application/fhir+xml',
    ';',
    'application/json; charset=bogus',
  ),
  fc.string({ maxLength: 40 }),
);

/** Extra headers a request may carry (one request in four: otherwise a random Accept would make most answers 406). */
const someHeaders: fc.Arbitrary<Record<string, string>> = fc.record(
  {
    'E-Tag': versionHeader,
    'If-Match': versionHeader,
    Accept: accept,
    'X-Request-ID': headerValue,
    'X-Correlation-ID': headerValue,
    Prefer: fc.oneof(
      fc.constantFrom('return=minimal', 'return=representation', 'return=OperationOutcome', 'return=', 'respond-async'),
      fc.string({ maxLength: 30 }),
    ),
  },
  { requiredKeys: [] },
);
const extraHeaders = fc.oneof({ weight: 3, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: someHeaders });

const caller = fc.oneof(
  { weight: 12, arbitrary: fc.constant<FuzzRequest['as']>('ALL') },
  { weight: 1, arbitrary: fc.constantFrom<FuzzRequest['as']>('FLU_ONLY', 'READER', 'NO_GRANTS', 'none', 'garbage') },
);

const queryString = (keys: readonly string[]) =>
  fc
    .array(
      fc.tuple(
        fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...keys) }, { weight: 1, arbitrary: hostileString }),
        fc.oneof(
          hostileString,
          fc.constantFrom(
            'https://fhir.nhs.uk/Id/nhs-number|9000000009',
            'FLU',
            'COVID',
            'http://snomed.info/sct|6142004',
            '2024-01-01',
            '10',
            'Immunization:patient',
            'id',
          ),
        ),
      ),
      { maxLength: 6 },
    )
    .chain((pairs) =>
      fc.boolean().map((raw) =>
        // Mostly well-encoded; sometimes raw values (stray %, spaces as +) to reach the decoder's edges.
        pairs.map(([k, v]) => `${pct(k)}=${raw ? v.replace(/[^\x21-\x7e]/g, (c) => pct(c)) : pct(v)}`).join('&'),
      ),
    );

const SEARCH_KEYS = [
  'patient.identifier',
  '-immunization.target',
  'target-disease',
  '-date.from',
  '-date.to',
  'identifier',
  '_elements',
  '_include',
  '_count',
  '_cursor',
  '_format',
  '_summary',
];
const FEED_KEYS = ['_since', '_count', '_cursor', '_format'];

function b64(v: unknown) {
  return Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
}

/** Every kind of request, weighted; the mix is the same for a given seed. */
export function fuzzRequests(w: FuzzWorld): fc.Arbitrary<FuzzRequest> {
  const seed = fc.constantFrom(...w.seeds);
  const known = fc.constantFrom(...w.knownRecords);
  const knownSub = fc.constantFrom(...w.knownSubscriptions);
  const imm = `${BASE}/Immunization`;
  const sub = `${BASE}/Subscription`;
  const json = (v: unknown) => JSON.stringify(v);
  const fhir = { 'Content-Type': 'application/fhir+json' };

  const createMutated = fc.record({ body: mutated(seed), as: caller, h: extraHeaders }).map(({ body, as, h }) => ({
    kind: 'create: mutated valid body',
    method: 'POST',
    path: imm,
    as,
    headers: { ...h, ...fhir },
    body: json(body),
  }));
  const createLeaf = fc.record({ body: oneLeaf(seed), as: caller }).map(({ body, as }) => ({
    kind: 'create: one hostile value in a valid body',
    method: 'POST',
    path: imm,
    as,
    headers: fhir,
    body: json(body),
  }));
  const updateLeaf = fc.record({ k: known, n: fc.nat(), bad: hostileString, append: fc.boolean() }).map(({ k, n, bad, append }) => {
    const copy = JSON.parse(JSON.stringify(k.body));
    delete copy.meta;
    const paths = stringPaths(copy).filter((p) => p[0] !== 'id' && p[0] !== 'identifier');
    const path = paths[n % paths.length];
    let node = copy;
    for (const key of path.slice(0, -1)) node = node[key];
    const last = path[path.length - 1];
    node[last] = append ? `${node[last]}${bad}` : bad;
    // No version header: a valid-looking update must still be refused (400), so the record stays put.
    return {
      kind: 'update a known record: one hostile value, no version',
      method: 'PUT',
      path: `${imm}/${k.id}`,
      as: 'ALL' as const,
      headers: fhir,
      body: json(copy),
      target: { type: 'record' as const, id: k.id },
    };
  });
  const searchValues = fc
    .record({
      bad: hostileString,
      shape: fc.constantFrom('identifier-value', 'identifier-system', 'nhs', 'date-from', 'date-to', 'target', 'disease', 'cursor'),
      post: fc.boolean(),
    })
    .map(({ bad, shape, post }) => {
      const patient = 'patient.identifier=https%3A%2F%2Ffhir.nhs.uk%2FId%2Fnhs-number%7C9000000009&-immunization.target=FLU';
      const q = {
        'identifier-value': `identifier=${pct(`https://supplierABC/identifiers/vacc|${bad}`)}`,
        'identifier-system': `identifier=${pct(`${bad}|abc`)}`,
        nhs: `patient.identifier=${pct(`https://fhir.nhs.uk/Id/nhs-number|${bad}`)}&-immunization.target=FLU`,
        'date-from': `${patient}&-date.from=${pct(bad)}`,
        'date-to': `${patient}&-date.to=${pct(bad)}`,
        target: `patient.identifier=${pct('https://fhir.nhs.uk/Id/nhs-number|9000000009')}&-immunization.target=${pct(bad)}`,
        disease: `patient.identifier=${pct('https://fhir.nhs.uk/Id/nhs-number|9000000009')}&target-disease=${pct(`http://snomed.info/sct|${bad}`)}`,
        cursor: `${patient}&_cursor=${pct(Buffer.from(`${bad}|00000000-0000-4000-8000-000000000000`).toString('base64url'))}`,
      }[shape];
      return post
        ? {
            kind: 'search: one hostile value in a valid search',
            method: 'POST',
            path: `${imm}/_search`,
            as: 'ALL' as const,
            headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
            body: q,
          }
        : { kind: 'search: one hostile value in a valid search', method: 'GET', path: `${imm}?${q}`, as: 'ALL' as const, headers: {} };
    });
  const subLeaf = fc.record({ body: oneLeaf(fc.constant(w.subscriptionSeed)) }).map(({ body }) => ({
    kind: 'Subscription create: one hostile value',
    method: 'POST',
    path: sub,
    as: 'ALL' as const,
    headers: fhir,
    body: json(body),
  }));
  const createRandom = fc.record({ body: jsonValue, as: caller, h: extraHeaders }).map(({ body, as, h }) => ({
    kind: 'create: random JSON',
    method: 'POST',
    path: imm,
    as,
    headers: { ...h, ...fhir },
    body: json(body) ?? 'null',
  }));
  const rawBody = fc
    .record({
      body: fc.oneof(fc.string({ maxLength: 200 }), fc.fullUnicodeString({ maxLength: 100 }), nasty),
      ct: contentType,
      as: caller,
      path: fc.constantFrom(imm, `${imm}/_search`, sub, '/oauth2/token'),
      method: fc.constantFrom('POST', 'PUT'),
    })
    .map(({ body, ct, as, path, method }) => ({
      kind: 'raw body, any Content-Type',
      method,
      path,
      as,
      headers: { 'Content-Type': ct },
      body,
    }));
  const updateKnown = fc
    .record({
      k: known,
      muts: fc.array(mutation, { maxLength: 3 }),
      as: caller,
      version: fc.oneof(versionHeader, fc.constantFrom('W/"1"', 'W/"2"', 'W/"3"')),
      useEtag: fc.boolean(),
      h: extraHeaders,
    })
    .map(({ k, muts, as, version, useEtag, h }) => ({
      kind: 'update a known record: mutated body, any version header',
      method: 'PUT',
      path: `${imm}/${k.id}`,
      as,
      headers: { ...h, ...fhir, [useEtag ? 'E-Tag' : 'If-Match']: version, Prefer: 'return=representation' },
      body: json(muts.reduce<unknown>((acc, m) => applyMutation(acc, m), k.body)),
      target: { type: 'record' as const, id: k.id },
    }));
  const updateRandomId = fc.record({ id: pathId, body: mutated(seed), as: caller, h: extraHeaders }).map(({ id, body, as, h }) => ({
    kind: 'update: odd path id',
    method: 'PUT',
    path: `${imm}/${id}`,
    as,
    headers: { 'If-Match': 'W/"1"', ...h, ...fhir },
    body: json(body),
  }));
  const deleteKnownRefused = fc
    .record({ k: known, as: fc.constantFrom<FuzzRequest['as']>('READER', 'NO_GRANTS', 'none', 'garbage', 'FLU_ONLY'), h: extraHeaders })
    .map(({ k, as, h }) => ({
      kind: 'delete a known record as another caller',
      method: 'DELETE',
      path: `${imm}/${k.id}`,
      as,
      headers: h,
      target: { type: 'record' as const, id: k.id },
    }));
  const deleteOdd = fc
    .record({ id: pathId, as: caller, h: extraHeaders })
    .map(({ id, as, h }) => ({ kind: 'delete: odd path id', method: 'DELETE', path: `${imm}/${id}`, as, headers: h }));
  const reads = fc
    .record({
      id: fc.oneof(
        pathId,
        known.map((k) => k.id),
      ),
      vid: fc.oneof(pathId, fc.constantFrom('1', '2', '0', '-1', '99999999999999999999')),
      shape: fc.constantFrom('read', 'vread', 'history'),
      as: caller,
      h: extraHeaders,
      q: fc.option(queryString(['_format', '_elements', '_count']), { nil: undefined }),
    })
    .map(({ id, vid, shape, as, h, q }) => ({
      kind: `${shape}: odd ids`,
      method: 'GET',
      path: `${imm}/${id}${shape === 'vread' ? `/_history/${vid}` : shape === 'history' ? '/_history' : ''}${q ? `?${q}` : ''}`,
      as,
      headers: h,
    }));
  const searchGet = fc
    .record({ q: queryString(SEARCH_KEYS), as: caller, h: extraHeaders })
    .map(({ q, as, h }) => ({ kind: 'search: GET parameters', method: 'GET', path: `${imm}?${q}`, as, headers: h }));
  const searchPost = fc
    .record({ form: queryString(SEARCH_KEYS), q: fc.option(queryString(SEARCH_KEYS), { nil: undefined }), as: caller, h: extraHeaders })
    .map(({ form, q, as, h }) => ({
      kind: 'search: POST _search form',
      method: 'POST',
      path: `${imm}/_search${q ? `?${q}` : ''}`,
      as,
      headers: { ...h, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form,
    }));
  const feed = fc
    .record({ q: queryString(FEED_KEYS), as: caller, h: extraHeaders })
    .map(({ q, as, h }) => ({ kind: 'change feed parameters', method: 'GET', path: `${imm}/_history?${q}`, as, headers: h }));
  const assertion = fc.oneof(
    hostileString,
    fc.tuple(jsonValue, jsonValue, hostileString).map(([hd, cl, sig]) => `${b64(hd)}.${b64(cl)}.${b64(sig)}`),
    fc
      .record({
        alg: fc.constantFrom('none', 'HS256', 'RS512', 'ES256', 'RS256'),
        kid: hostileString,
        iss: fc.constantFrom('all-client', 'reader-client', 'nobody'),
        jti: hostileString,
        exp: fc.oneof(fc.integer(), fc.constant(Math.floor(Date.now() / 1000) + 60), hostileString),
        extra: fc.dictionary(fc.constantFrom('jku', 'x5u', 'jwk', 'crit', 'b64'), jsonValue, { maxKeys: 2 }),
      })
      .map(
        (a) =>
          `${b64({ alg: a.alg, kid: a.kid, typ: 'JWT', ...a.extra })}.${b64({ iss: a.iss, sub: a.iss, aud: w.tokenUrl, jti: a.jti, exp: a.exp })}.${b64('sig')}`,
      ),
  );
  const token = fc
    .record({
      fields: fc.dictionary(
        fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom('grant_type', 'client_assertion_type', 'client_assertion', 'scope', 'client_id') },
          { weight: 1, arbitrary: hostileString },
        ),
        hostileString,
        { maxKeys: 5 },
      ),
      a: assertion,
      full: fc.boolean(),
      ct: fc.oneof({ weight: 5, arbitrary: fc.constant('application/x-www-form-urlencoded') }, { weight: 1, arbitrary: contentType }),
    })
    .map(({ fields, a, full, ct }) => {
      const form = new URLSearchParams(
        full
          ? {
              grant_type: 'client_credentials',
              client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
              client_assertion: a,
            }
          : {},
      );
      for (const [k, v] of Object.entries(fields)) form.append(k, v);
      return {
        kind: 'token endpoint form',
        method: 'POST',
        path: '/oauth2/token',
        as: 'none' as const,
        headers: { 'Content-Type': ct },
        body: form.toString(),
      };
    });
  const subCreate = fc
    .record({ body: fc.oneof(mutated(fc.constant(w.subscriptionSeed)), jsonValue), as: caller, h: extraHeaders })
    .map(({ body, as, h }) => ({
      kind: 'Subscription create: mutated or random body',
      method: 'POST',
      path: sub,
      as,
      headers: { ...h, ...fhir },
      body: json(body) ?? 'null',
    }));
  const subUpdateKnown = fc
    .record({ s: knownSub, muts: fc.array(mutation, { maxLength: 3 }), as: caller, version: versionHeader, h: extraHeaders })
    .map(({ s, muts, as, version, h }) => ({
      kind: 'Subscription update of a known one: mutated body',
      method: 'PUT',
      path: `${sub}/${s.id}`,
      as,
      headers: { ...h, ...fhir, 'If-Match': version, Prefer: 'return=representation' },
      body: json(muts.reduce<unknown>((acc, m) => applyMutation(acc, m), s.body)),
      target: { type: 'subscription' as const, id: s.id },
    }));
  const subOther = fc
    .record({
      id: fc.oneof(
        pathId,
        knownSub.map((s) => s.id),
      ),
      method: fc.constantFrom('GET', 'DELETE'),
      as: fc.constantFrom<FuzzRequest['as']>('FLU_ONLY', 'READER', 'NO_GRANTS', 'none', 'garbage'),
      h: extraHeaders,
      list: fc.boolean(),
      q: queryString(['_count', '_cursor', 'status']),
    })
    .map(({ id, method, as, h, list, q }) => ({
      kind: `Subscription ${method}: odd ids / other suppliers`,
      method: list ? 'GET' : method,
      path: list ? `${sub}?${q}` : `${sub}/${id}`,
      as,
      headers: h,
    }));

  return fc.oneof(
    { weight: 12, arbitrary: createMutated },
    { weight: 8, arbitrary: createLeaf },
    { weight: 3, arbitrary: updateLeaf },
    { weight: 6, arbitrary: searchValues },
    { weight: 3, arbitrary: subLeaf },
    { weight: 4, arbitrary: createRandom },
    { weight: 4, arbitrary: rawBody },
    { weight: 10, arbitrary: updateKnown },
    { weight: 4, arbitrary: updateRandomId },
    { weight: 5, arbitrary: deleteKnownRefused },
    { weight: 3, arbitrary: deleteOdd },
    { weight: 8, arbitrary: reads },
    { weight: 9, arbitrary: searchGet },
    { weight: 7, arbitrary: searchPost },
    { weight: 4, arbitrary: feed },
    { weight: 6, arbitrary: token },
    { weight: 7, arbitrary: subCreate },
    { weight: 4, arbitrary: subUpdateKnown },
    { weight: 3, arbitrary: subOther },
  ) as fc.Arbitrary<FuzzRequest>;
}
