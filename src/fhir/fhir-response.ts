import type { Request, Response } from 'express';
import { type FhirJsonBody, fhirJson } from './fhir-json';
import { FHIR_JSON_UTF8 } from './media-types';
import { operationOutcome } from './operation-outcome';

export type PreferReturn = 'minimal' | 'representation' | 'OperationOutcome';

/** FHIR's `Prefer: return=…` (default minimal: the contract's create/update answer with no body). */
export function preferredReturn(req: Request): PreferReturn {
  const m = /(?:^|[;,\s])return=(minimal|representation|OperationOutcome)\b/i.exec(String(req.headers.prefer ?? ''));
  if (!m) return 'minimal';
  const v = m[1].toLowerCase();
  return v === 'representation' ? 'representation' : v === 'operationoutcome' ? 'OperationOutcome' : 'minimal';
}

/** What a FHIR route answers; sendFhir turns it into status, headers and body. */
export interface FhirReply {
  /** 200 unless said. */
  status?: number;
  /** The resource (or Bundle); stored JSON goes out as stored. */
  body: FhirJsonBody;
  /** The URL of a resource just created. */
  location?: string;
  /** Version headers of docs/api.md §2: FHIR's weak ETag, the NHS's bare E-Tag and Last-Modified. */
  version?: { version: number; lastUpdated: Date };
  /**
   * A write: `Prefer: return=` of this request picks the body — none (minimal, the default), the
   * resource (representation) or an informational OperationOutcome saying `message`.
   */
  write?: { req: Request; message: string };
  /** Only for a client of /metadata that asked for plain JSON. */
  contentType?: string;
}

/** The one place a FHIR route writes its answer (errors go through FhirExceptionFilter). */
export function sendFhir(res: Response, reply: FhirReply): void {
  if (reply.location !== undefined) res.setHeader('Location', reply.location);
  if (reply.version) {
    res.setHeader('ETag', `W/"${reply.version.version}"`);
    res.setHeader('E-Tag', String(reply.version.version));
    res.setHeader('Last-Modified', reply.version.lastUpdated.toUTCString());
  }
  res.status(reply.status ?? 200);
  let body = reply.body;
  if (reply.write) {
    const prefer = preferredReturn(reply.write.req);
    if (prefer === 'minimal') {
      res.end();
      return;
    }
    if (prefer === 'OperationOutcome')
      body = operationOutcome([{ severity: 'information', code: 'informational', diagnostics: reply.write.message }]);
  }
  res.setHeader('Content-Type', reply.contentType ?? FHIR_JSON_UTF8);
  res.send(fhirJson(body));
}
