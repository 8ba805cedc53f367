import type { Resource } from '@medplum/fhirtypes';
import type { Request, Response } from 'express';
import { FHIR_JSON_UTF8 } from './media-types';
import { operationOutcome } from './operation-outcome';

/** The version headers of docs/api.md §2: FHIR's weak ETag and the NHS's bare E-Tag, plus Last-Modified. */
export function setVersionHeaders(res: Response, version: number, lastUpdated: Date) {
  res.setHeader('ETag', `W/"${version}"`);
  res.setHeader('E-Tag', String(version));
  res.setHeader('Last-Modified', lastUpdated.toUTCString());
}

export type PreferReturn = 'minimal' | 'representation' | 'OperationOutcome';

/** FHIR's `Prefer: return=…` (default minimal: the contract's create/update answer with no body). */
export function preferredReturn(req: Request): PreferReturn {
  const m = /(?:^|[;,\s])return=(minimal|representation|OperationOutcome)\b/i.exec(String(req.headers.prefer ?? ''));
  if (!m) return 'minimal';
  const v = m[1].toLowerCase();
  return v === 'representation' ? 'representation' : v === 'operationoutcome' ? 'OperationOutcome' : 'minimal';
}

/** Sends a write's answer honouring Prefer, with the FHIR content type when there is a body. */
export function sendWriteResult(req: Request, res: Response, status: number, resource: Resource, message: string) {
  const prefer = preferredReturn(req);
  res.status(status);
  if (prefer === 'minimal') {
    res.end();
    return;
  }
  const body =
    prefer === 'representation' ? resource : operationOutcome([{ severity: 'information', code: 'informational', diagnostics: message }]);
  res.setHeader('Content-Type', FHIR_JSON_UTF8);
  res.send(JSON.stringify(body));
}

/** Sends a FHIR resource body. */
export function sendResource(res: Response, status: number, body: unknown) {
  res.status(status).setHeader('Content-Type', FHIR_JSON_UTF8);
  res.send(JSON.stringify(body));
}
