/**
 * A FHIR resource already serialised: the text of a `json` column, which PostgreSQL keeps exactly
 * as the service wrote it (`JSON.stringify` of the resource). Served as it is, it saves a
 * `JSON.parse` in the driver and a `JSON.stringify` in the response on every read.
 */
export class StoredJson {
  constructor(readonly text: string) {}

  /** For the rare caller that needs the object (e.g. an export row). */
  parse<T>(): T {
    return JSON.parse(this.text) as T;
  }
}

/** A response body: a plain JSON value, stored JSON, or a Bundle whose entries hold either. */
export type FhirJsonBody = object | StoredJson;

/**
 * Stands in for stored JSON while the rest is stringified natively, then gives way to the stored
 * text. It is looked for from the end: in a Bundle only `total` follows `entry`, in an entry only
 * server-made request/response/search follow `resource`, so client text earlier on cannot be
 * mistaken for it.
 */
const MARK = '\u0000stored';
const MARK_JSON = JSON.stringify(MARK);

/** JSON.stringify(value) with `value[key]` replaced by `text`: key order and every other byte as JSON.stringify gives them. */
function splice(value: object, key: string, text: string): string {
  const s = JSON.stringify({ ...value, [key]: MARK });
  const at = s.lastIndexOf(MARK_JSON);
  return s.slice(0, at) + text + s.slice(at + MARK_JSON.length);
}

interface BundleLike {
  resourceType: 'Bundle';
  entry: { resource?: unknown }[];
}

const isBundle = (body: object): body is BundleLike =>
  (body as { resourceType?: unknown }).resourceType === 'Bundle' && Array.isArray((body as { entry?: unknown }).entry);

/** The body's JSON text: byte for byte what JSON.stringify of the parsed resources would give. */
export function fhirJson(body: FhirJsonBody): string {
  if (body instanceof StoredJson) return body.text;
  if (!isBundle(body) || !body.entry.some((e) => e?.resource instanceof StoredJson)) return JSON.stringify(body);
  const entries = body.entry.map((e) => (e.resource instanceof StoredJson ? splice(e, 'resource', e.resource.text) : JSON.stringify(e)));
  return splice(body, 'entry', `[${entries.join(',')}]`);
}
