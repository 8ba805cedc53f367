import type { TestApp } from './test-app';
import { BASE, FHIR_JSON } from './immunization-fixture';

/** Thin helpers over supertest for FHIR calls as one supplier. */
export function fhirClient(t: TestApp, token: string) {
  const auth = (r: any) => r.set('Authorization', `Bearer ${token}`);
  return {
    create: (body: unknown, headers: Record<string, string> = {}) =>
      auth(t.http.post(`${BASE}/Immunization`))
        .set({ 'Content-Type': FHIR_JSON, ...headers })
        .send(JSON.stringify(body)),
    read: (id: string) => auth(t.http.get(`${BASE}/Immunization/${id}`)),
    vread: (id: string, v: number | string) => auth(t.http.get(`${BASE}/Immunization/${id}/_history/${v}`)),
    history: (id: string) => auth(t.http.get(`${BASE}/Immunization/${id}/_history`)),
    feed: (query = '') => auth(t.http.get(`${BASE}/Immunization/_history${query}`)),
    update: (id: string, body: unknown, headers: Record<string, string>) =>
      auth(t.http.put(`${BASE}/Immunization/${id}`))
        .set({ 'Content-Type': FHIR_JSON, ...headers })
        .send(JSON.stringify(body)),
    delete: (id: string) => auth(t.http.delete(`${BASE}/Immunization/${id}`)),
    get: (path: string) => auth(t.http.get(path)),
  };
}

export const idFromLocation = (location: string) => location.split('/').pop() as string;

/** The OperationOutcome's first issue's NHS details code. */
export const detailsCode = (body: any): string | undefined => body?.issue?.[0]?.details?.coding?.[0]?.code;
