export const FHIR_JSON = 'application/fhir+json';
export const FHIR_JSON_UTF8 = 'application/fhir+json; charset=utf-8';
const JSON_TYPES = new Set(['application/fhir+json', 'application/json', 'application/json+fhir']);
const FORM = 'application/x-www-form-urlencoded';

/** The bare media type of a Content-Type header, lower-cased, parameters dropped. */
export function mediaType(header: string | undefined): string | null {
  if (!header) return null;
  return header.split(';')[0].trim().toLowerCase();
}

export const isJsonMediaType = (t: string | null) => t !== null && JSON_TYPES.has(t);
export const isFormMediaType = (t: string | null) => t === FORM;

/**
 * Whether an Accept header admits a JSON FHIR body. Absent, wildcards and any JSON flavour are fine;
 * an explicit q=0 refuses. `_format` (FHIR's override) is honoured by the caller.
 */
export function acceptsFhirJson(accept: string | undefined): boolean {
  if (!accept || !accept.trim()) return true;
  return accept.split(',').some((part) => {
    const [type, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    if (q !== undefined && Number(q.slice(2)) === 0) return false;
    return type === '*/*' || type === 'application/*' || JSON_TYPES.has(type);
  });
}

/** FHIR's `_format` parameter values meaning JSON. */
export function formatIsJson(format: string): boolean {
  return ['json', 'application/json', 'application/fhir+json', 'application/json+fhir'].includes(format.toLowerCase());
}

/**
 * Whether the client asked for plain `application/json` rather than FHIR JSON: `_format=application/json`,
 * or an Accept that names application/json and no FHIR JSON type. Anything else gets application/fhir+json.
 */
export function wantsPlainJson(accept: string | undefined, format: string | undefined): boolean {
  if (format) return format.trim().toLowerCase() === 'application/json';
  if (!accept) return false;
  const types = accept.split(',').map((part) => part.split(';')[0].trim().toLowerCase());
  return types.includes('application/json') && !types.some((t) => t === 'application/fhir+json' || t === 'application/json+fhir');
}
