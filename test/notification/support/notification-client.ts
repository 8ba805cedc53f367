import { BASE, FHIR_JSON } from '../../support/immunization-fixture';
import type { TestApp } from '../../support/test-app';

export const EVENT = 'imms-vaccination-record-change-1';

/** A FHIR R4 Subscription body. */
export function subscriptionBody(
  endpoint: string,
  o: { criteria?: string; payload?: string; header?: string[]; type?: string; status?: string; id?: string } = {},
) {
  const body: Record<string, unknown> = {
    resourceType: 'Subscription',
    status: o.status ?? 'requested',
    reason: 'keep our records aligned',
    criteria: o.criteria ?? `Immunization?eventType=${EVENT}`,
    channel: {
      type: o.type ?? 'rest-hook',
      endpoint,
      payload: o.payload ?? 'application/fhir+json',
      ...(o.header ? { header: o.header } : {}),
    },
  };
  if (o.id) body.id = o.id;
  return body;
}

/** FHIR calls as one supplier, with the handful of helpers the notification suites need. */
export function client(t: TestApp, token: string) {
  const auth = (r: any) => r.set('Authorization', `Bearer ${token}`);
  const json = (r: any, body: unknown) => r.set('Content-Type', FHIR_JSON).send(JSON.stringify(body));
  const api = {
    async createImms(body: unknown): Promise<{ id: string; version: number }> {
      const res = await json(auth(t.http.post(`${BASE}/Immunization`)), body);
      if (res.status !== 201) throw new Error(`create: ${res.status} ${JSON.stringify(res.body)}`);
      return { id: String(res.headers.location).split('/').pop()!, version: Number(res.headers['e-tag']) };
    },
    async updateImms(id: string, body: Record<string, unknown>, version: number): Promise<number> {
      const res = await json(auth(t.http.put(`${BASE}/Immunization/${id}`)).set('E-Tag', String(version)), { ...body, id });
      if (res.status !== 200) throw new Error(`update: ${res.status} ${JSON.stringify(res.body)}`);
      return Number(res.headers['e-tag']);
    },
    async deleteImms(id: string): Promise<void> {
      const res = await auth(t.http.delete(`${BASE}/Immunization/${id}`));
      if (res.status !== 204) throw new Error(`delete: ${res.status} ${JSON.stringify(res.body)}`);
    },
    postSub: (body: unknown) => json(auth(t.http.post(`${BASE}/Subscription`)).set('Prefer', 'return=representation'), body),
    async subscribe(body: unknown): Promise<string> {
      const res = await api.postSub(body);
      if (res.status !== 201) throw new Error(`subscribe: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.id;
    },
    getSub: (id: string) => auth(t.http.get(`${BASE}/Subscription/${id}`)),
    listSubs: () => auth(t.http.get(`${BASE}/Subscription`)),
    putSub: (id: string, body: unknown, headers: Record<string, string> = {}) =>
      json(auth(t.http.put(`${BASE}/Subscription/${id}`)).set({ Prefer: 'return=representation', ...headers }), body),
    deleteSub: (id: string) => auth(t.http.delete(`${BASE}/Subscription/${id}`)),
    get: (path: string) => auth(t.http.get(path)),
  };
  return api;
}

// Reading a FHIR signal.
const params = (signal: any) => signal.entry[0].resource.parameter as any[];
const part = (signal: any, param: string, name: string) =>
  params(signal)
    .find((p) => p.name === param)
    .part.find((p: any) => p.name === name);
export const eventNumberOf = (signal: any): number => Number(part(signal, 'notification-event', 'event-number').valueString);
export const focusOf = (signal: any): string => part(signal, 'notification-event', 'focus').valueReference.reference;
export const versionOf = (signal: any): string => part(signal, 'additional-context', 'version-id').valueString;
export const subjectOf = (signal: any): string => part(signal, 'additional-context', 'subject').valueReference.identifier.value;
export const subscriptionOf = (signal: any): string => params(signal).find((p) => p.name === 'subscription').valueReference.reference;
