import { BASE, FHIR_JSON, nhsNumber } from '../../support/immunization-fixture';
import type { TestApp } from '../../support/test-app';

export type Method = 'GET' | 'POST';
export type Params = [string, string][];

/** Search and write helpers for one test app, the supplier named per call. */
export function searchClient(t: TestApp) {
  const tokens = new Map<string, string>();
  const token = async (supplier: string) => {
    if (!tokens.has(supplier)) tokens.set(supplier, await t.tokenFor(supplier));
    return tokens.get(supplier)!;
  };
  const auth = async (supplier: string) => ({ Authorization: `Bearer ${await token(supplier)}` });

  return {
    /** GET /Immunization?… or POST /Immunization/_search with the same parameters as a form body. */
    async search(method: Method, supplier: string, params: Params) {
      const form = new URLSearchParams(params).toString();
      if (method === 'GET') return t.http.get(`${BASE}/Immunization${form ? `?${form}` : ''}`).set(await auth(supplier));
      return t.http
        .post(`${BASE}/Immunization/_search`)
        .set(await auth(supplier))
        .set('Content-Type', 'application/x-www-form-urlencoded')
        .send(form);
    },
    /** Follows an absolute link (a next link) of this app. */
    async follow(supplier: string, url: string) {
      return t.http.get(url.slice(t.config.publicBaseUrl.length)).set(await auth(supplier));
    },
    async create(body: Record<string, unknown>, supplier = 'ALL') {
      const res = await t.http
        .post(`${BASE}/Immunization`)
        .set(await auth(supplier))
        .set('Content-Type', FHIR_JSON)
        .send(JSON.stringify(body));
      if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.text}`);
      return res.headers.location.split('/').pop() as string;
    },
    async update(id: string, body: Record<string, unknown>, version: number, supplier = 'ALL') {
      const res = await t.http
        .put(`${BASE}/Immunization/${id}`)
        .set(await auth(supplier))
        .set({ 'Content-Type': FHIR_JSON, 'E-Tag': String(version) })
        .send(JSON.stringify({ ...body, id }));
      if (res.status !== 200) throw new Error(`update failed: ${res.status} ${res.text}`);
      return Number(res.headers['e-tag']);
    },
    async remove(id: string, supplier = 'ALL') {
      const res = await t.http.delete(`${BASE}/Immunization/${id}`).set(await auth(supplier));
      if (res.status !== 204) throw new Error(`delete failed: ${res.status} ${res.text}`);
    },
    auth,
  };
}

export const NHS_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';
export const SNOMED = 'http://snomed.info/sct';

/** The query string a link should carry, built from name/value pairs in the expected order. */
export const query = (params: Params) => new URLSearchParams(params).toString();

const issued = new Set<string>();

/**
 * A valid NHS number not handed out before in this process. The shared fixture's `nhsNumber()`
 * starts from a random stem below 100,000,000 one time in ten, and then always lands on the same
 * first valid number after a long scan; patients in these tests must be distinct.
 */
export function freshNhsNumber(): string {
  for (;;) {
    const n = nhsNumber(100_000_000 + Math.floor(Math.random() * 899_000_000));
    if (!issued.has(n)) {
      issued.add(n);
      return n;
    }
  }
}
