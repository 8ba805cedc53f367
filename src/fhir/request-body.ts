import type { NextFunction, Request, Response } from 'express';
import getRawBody from 'raw-body';
import { Errors, FhirError } from './operation-outcome';
import { markDecimalIntegers } from './integer-tokens';
import { isFormMediaType, isJsonMediaType, mediaType } from './media-types';

export const MAX_JSON_DEPTH = 64;

/**
 * What the body reader found. Parse failures are kept, not thrown, so that authentication still
 * answers first (docs/api.md §4: 401 before anything else); the controller's body decorators raise them.
 */
export type ParsedBody =
  { kind: 'none' } | { kind: 'json'; value: unknown } | { kind: 'form'; value: URLSearchParams } | { kind: 'error'; error: FhirError };

declare module 'express' {
  interface Request {
    parsedBody?: ParsedBody;
  }
}

/** True when JSON text nests arrays/objects deeper than `max`; a linear scan, run before JSON.parse. */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > max) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

/**
 * U+0000 is refused in every client string (bodies, form fields, query, path): PostgreSQL cannot
 * store it in text and answered with a 500 ("invalid byte sequence" / "unsupported Unicode escape").
 */
export const NUL_REFUSED = 'The request holds the character U+0000 (NUL), which is not accepted in any value.';

/** True when any string or object key in a parsed JSON value holds U+0000 (explicit stack, no recursion). */
export function jsonHasNul(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (v.includes('\0')) return true;
    } else if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k.includes('\0')) return true;
        stack.push(x);
      }
    }
  }
  return false;
}

/** True when a raw URL (path and query) spells U+0000, percent-encoded or not. */
export function urlHasNul(url: string): boolean {
  return url.includes('%00') || url.includes('\0');
}

export function parseBody(buf: Buffer, contentType: string | undefined): ParsedBody {
  const type = mediaType(contentType);
  if (buf.length === 0 && type === null) return { kind: 'none' };
  const text = buf.toString('utf8');
  // CloudEvents (inbound MNS events) are JSON too.
  if (isJsonMediaType(type) || type === 'application/cloudevents+json') {
    if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
      return { kind: 'error', error: Errors.invalid(`The JSON body is nested deeper than ${MAX_JSON_DEPTH} levels.`) };
    }
    try {
      const value: unknown = JSON.parse(text);
      // JSON can only carry NUL as the escape \u0000 (a raw NUL is a syntax error): walk only then.
      if (text.includes('\\u0000') && jsonHasNul(value)) return { kind: 'error', error: Errors.invalid(NUL_REFUSED) };
      markDecimalIntegers(text, value);
      return { kind: 'json', value };
    } catch (e) {
      const where = e instanceof SyntaxError ? `: ${e.message}` : '';
      return { kind: 'error', error: Errors.invalid(`The body is not valid JSON${where}.`) };
    }
  }
  if (isFormMediaType(type)) {
    if (urlHasNul(text)) return { kind: 'error', error: Errors.invalid(NUL_REFUSED) };
    return { kind: 'form', value: new URLSearchParams(text) };
  }
  return {
    kind: 'error',
    error: Errors.unsupportedMediaType(
      type === null
        ? 'A request body needs a Content-Type header: application/fhir+json (or application/x-www-form-urlencoded for _search).'
        : `Content-Type ${type} is not supported: send application/fhir+json.`,
    ),
  };
}

/** Express middleware: reads the body up to maxBytes (413 beyond) and parses it by Content-Type. */
export function bodyReader(maxBytes: number) {
  return async (req: Request, _res: Response, next: NextFunction) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') {
      req.parsedBody = { kind: 'none' };
      return next();
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      // Refuse before reading: the limit protects memory, so do not buffer what we will reject.
      return next(Errors.tooLarge(`The request body is larger than the limit of ${maxBytes} bytes.`));
    }
    try {
      const buf = await getRawBody(req, { limit: maxBytes });
      req.parsedBody = parseBody(buf, req.headers['content-type']);
      next();
    } catch (e) {
      const err = e as { type?: string; status?: number };
      if (err.type === 'entity.too.large') {
        return next(Errors.tooLarge(`The request body is larger than the limit of ${maxBytes} bytes.`));
      }
      if (err.type === 'request.aborted') return; // the client went away; nothing to answer
      return next(Errors.invalid('The request body could not be read.'));
    }
  };
}
