import type { Request, Response } from 'express';
import { StoredJson } from './fhir-json';
import { preferredReturn, sendFhir } from './fhir-response';

/** Records what sendFhir does to a response, in order. */
function recorder() {
  const calls: string[] = [];
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (name: string, value: string) => {
      headers[name] = value;
      calls.push(`header ${name}`);
      return res;
    },
    status: (code: number) => {
      calls.push(`status ${code}`);
      return res;
    },
    end: () => calls.push('end'),
    send: (body: string) => calls.push(`send ${body}`),
  };
  return { res: res as unknown as Response, calls, headers };
}

const request = (prefer?: string) => ({ headers: prefer === undefined ? {} : { prefer } }) as unknown as Request;
const resource = { resourceType: 'Immunization', id: 'a' };
const version = { version: 3, lastUpdated: new Date('2026-01-02T03:04:05Z') };

describe('sendFhir', () => {
  it('answers a read: version headers, FHIR JSON, stored text as stored', () => {
    const { res, calls, headers } = recorder();
    sendFhir(res, { version, body: new StoredJson('{"resourceType":"Immunization","id":"a"}') });
    expect(headers).toEqual({
      ETag: 'W/"3"',
      'E-Tag': '3',
      'Last-Modified': 'Fri, 02 Jan 2026 03:04:05 GMT',
      'Content-Type': 'application/fhir+json; charset=utf-8',
    });
    expect(calls.slice(-2)).toEqual(['header Content-Type', 'send {"resourceType":"Immunization","id":"a"}']);
    expect(calls).toContain('status 200');
  });

  it('answers a create with Location and no body by default (Prefer: return=minimal)', () => {
    const { res, calls, headers } = recorder();
    sendFhir(res, {
      status: 201,
      location: 'http://x/Immunization/a',
      version,
      body: resource,
      write: { req: request(), message: 'Created.' },
    });
    expect(headers.Location).toBe('http://x/Immunization/a');
    expect(headers).not.toHaveProperty('Content-Type');
    expect(calls).toEqual(['header Location', 'header ETag', 'header E-Tag', 'header Last-Modified', 'status 201', 'end']);
  });

  it('honours Prefer: return=representation and return=OperationOutcome on writes', () => {
    const rep = recorder();
    sendFhir(rep.res, { version, body: resource, write: { req: request('return=representation'), message: 'Updated.' } });
    expect(rep.calls.at(-1)).toBe(`send ${JSON.stringify(resource)}`);
    const oo = recorder();
    sendFhir(oo.res, { version, body: resource, write: { req: request('return=OperationOutcome'), message: 'Updated.' } });
    const sent = JSON.parse(oo.calls.at(-1)!.slice('send '.length));
    expect(sent).toMatchObject({
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'information', code: 'informational', diagnostics: 'Updated.' }],
    });
  });

  it('takes another content type only when asked (plain JSON for /metadata)', () => {
    const { res, headers } = recorder();
    sendFhir(res, { body: { resourceType: 'CapabilityStatement' }, contentType: 'application/json; charset=utf-8' });
    expect(headers['Content-Type']).toBe('application/json; charset=utf-8');
  });
});

describe('preferredReturn', () => {
  it.each([
    [undefined, 'minimal'],
    ['return=representation', 'representation'],
    ['respond-async, return=OperationOutcome', 'OperationOutcome'],
    ['return=REPRESENTATION', 'representation'],
    ['return=other', 'minimal'],
  ])('Prefer %s → %s', (prefer, expected) => {
    expect(preferredReturn(request(prefer))).toBe(expected);
  });
});
