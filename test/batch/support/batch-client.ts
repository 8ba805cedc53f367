import { PipeCsvParser } from '../../../src/batch/domain/csv';
import type { fhirClient } from '../../support/fhir-client';
import { BASE } from '../../support/immunization-fixture';
import type { TestApp } from '../../support/test-app';

export const BATCH = '/immunisation-fhir-api/batch';

/** Batch routes as one supplier. */
export function batchClient(t: TestApp, token: string) {
  const auth = (r: any) => r.set('Authorization', `Bearer ${token}`);
  const client = {
    upload: (name: string, body: string | Buffer, contentType = 'text/csv') =>
      auth(t.http.put(`${BATCH}/files/${encodeURIComponent(name)}`))
        .set('Content-Type', contentType)
        .send(body),
    status: (name: string) => auth(t.http.get(`${BATCH}/files/${encodeURIComponent(name)}`)),
    infAck: (name: string) => auth(t.http.get(`${BATCH}/files/${encodeURIComponent(name)}/inf-ack`)).buffer(true),
    busAck: (name: string) => auth(t.http.get(`${BATCH}/files/${encodeURIComponent(name)}/bus-ack`)).buffer(true),
    summary: (name: string) => auth(t.http.get(`${BATCH}/files/${encodeURIComponent(name)}/summary`)),
    delta: (query = '') => auth(t.http.get(`${BATCH}/delta${query}`)).buffer(true),
    /** Polls the status document until the file is processed or rejected. */
    async settled(name: string, timeoutMs = 120_000): Promise<any> {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const res = await client.status(name);
        if (res.status !== 200) throw new Error(`status of ${name}: ${res.status} ${JSON.stringify(res.body)}`);
        if (res.body.status === 'processed' || res.body.status === 'rejected') return res.body;
        if (Date.now() > until) throw new Error(`${name} still ${res.body.status} after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
  return client;
}

/** `|` CSV text as rows of values. */
export function csvRows(text: string): string[][] {
  const p = new PipeCsvParser();
  return [...p.push(text), ...p.end()];
}

/** The identifier system of the rows the batch fixtures write. */
export const IDS = 'https://batch.example.org/ids';

/** The live records found by an identifier search for one of the fixtures' identifier values. */
export async function recordsByIdentifier(api: ReturnType<typeof fhirClient>, value: string): Promise<any[]> {
  const res = await api.get(`${BASE}/Immunization?identifier=${encodeURIComponent(`${IDS}|${value}`)}`);
  expect(res.status).toBe(200);
  return (res.body.entry ?? []).filter((e: any) => e.resource.resourceType === 'Immunization').map((e: any) => e.resource);
}
