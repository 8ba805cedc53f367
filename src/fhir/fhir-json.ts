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

const isPlainObject = (v: object) => {
  const proto = Object.getPrototypeOf(v) as unknown;
  return (proto === Object.prototype || proto === null) && typeof (v as { toJSON?: unknown }).toJSON !== 'function';
};

/**
 * JSON.stringify's output for a value that may hold StoredJson, whose text is spliced in unchanged.
 * Only containers are walked (a Bundle, its entries); any other resource is stringified whole.
 */
function write(v: unknown): string | undefined {
  if (v instanceof StoredJson) return v.text;
  if (Array.isArray(v)) return `[${v.map((x) => write(x) ?? 'null').join(',')}]`;
  if (v !== null && typeof v === 'object' && isPlainObject(v)) {
    const type = (v as { resourceType?: unknown }).resourceType;
    if (type === undefined || type === 'Bundle') {
      const parts: string[] = [];
      for (const [key, value] of Object.entries(v)) {
        const s = write(value);
        if (s !== undefined) parts.push(`${JSON.stringify(key)}:${s}`);
      }
      return `{${parts.join(',')}}`;
    }
  }
  return JSON.stringify(v);
}

const holdsStoredJson = (body: object) =>
  (body as { resourceType?: unknown }).resourceType === 'Bundle' &&
  Array.isArray((body as { entry?: unknown }).entry) &&
  (body as { entry: { resource?: unknown }[] }).entry.some((e) => e?.resource instanceof StoredJson);

/** The body's JSON text: byte for byte what JSON.stringify of the parsed resources would give. */
export function fhirJson(body: FhirJsonBody): string {
  if (body instanceof StoredJson) return body.text;
  return holdsStoredJson(body) ? write(body)! : JSON.stringify(body);
}
