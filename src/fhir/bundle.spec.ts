import { bundle, historyEntry, searchEntry } from './bundle';
import { fhirJson, StoredJson } from './fhir-json';

const BASE = 'https://example.org/FHIR/R4';
const imms = { resourceType: 'Immunization', id: 'a', meta: { versionId: '2' }, status: 'completed', note: [{ text: 'é "q" \u2028' }] };
const at = new Date('2026-01-02T03:04:05.678Z');

describe('bundle', () => {
  it('puts the keys in one order, total last and id only when given', () => {
    const links = [{ relation: 'self', url: `${BASE}/Immunization?x` }];
    expect(Object.keys(bundle('searchset', { links, entries: [], total: 0 }))).toEqual(['resourceType', 'type', 'link', 'entry', 'total']);
    expect(Object.keys(bundle('history', { links, entries: [] }))).toEqual(['resourceType', 'type', 'link', 'entry']);
    expect(bundle('searchset', { id: 'b1', links, entries: [], total: 2 })).toEqual({
      resourceType: 'Bundle',
      id: 'b1',
      type: 'searchset',
      link: links,
      entry: [],
      total: 2,
    });
  });

  it('builds searchset entries with their search mode', () => {
    expect(searchEntry(`${BASE}/Immunization/a`, imms, 'match')).toEqual({
      fullUrl: `${BASE}/Immunization/a`,
      resource: imms,
      search: { mode: 'match' },
    });
  });

  it('builds history entries: POST/PUT/DELETE with their status, a deletion without resource', () => {
    const change = { type: 'Immunization', id: 'a', version: 2, at, resource: imms };
    expect(historyEntry(BASE, { ...change, operation: 'CREATE' })).toEqual({
      fullUrl: `${BASE}/Immunization/a`,
      resource: imms,
      request: { method: 'POST', url: 'Immunization' },
      response: { status: '201', etag: 'W/"2"', lastModified: '2026-01-02T03:04:05.678Z' },
    });
    expect(historyEntry(BASE, { ...change, operation: 'UPDATE' })).toMatchObject({
      resource: imms,
      request: { method: 'PUT', url: 'Immunization/a' },
      response: { status: '200' },
    });
    const deleted = historyEntry(BASE, { ...change, operation: 'DELETE' });
    expect(deleted).not.toHaveProperty('resource');
    expect(deleted).toMatchObject({ request: { method: 'DELETE', url: 'Immunization/a' }, response: { status: '204' } });
    expect(Object.keys(historyEntry(BASE, { ...change, operation: 'CREATE' }))).toEqual(['fullUrl', 'resource', 'request', 'response']);
  });
});

describe('fhirJson', () => {
  it('sends stored JSON as stored', () => {
    expect(fhirJson(new StoredJson('{"resourceType":"Immunization","id":"a"}'))).toBe('{"resourceType":"Immunization","id":"a"}');
  });

  it('gives a Bundle with stored entries exactly the text JSON.stringify gives with the parsed ones', () => {
    const stored = new StoredJson(JSON.stringify(imms));
    const links = [{ relation: 'self', url: `${BASE}/Immunization/a/_history` }];
    const change = { type: 'Immunization', id: 'a', version: 2, at };
    const entries = (resource: StoredJson | typeof imms) => [
      historyEntry(BASE, { ...change, operation: 'UPDATE', resource }),
      historyEntry(BASE, { ...change, operation: 'DELETE', resource }),
      historyEntry(BASE, { ...change, operation: 'CREATE', resource }),
    ];
    const withStored = bundle('history', { links, entries: entries(stored), total: 3 });
    const withParsed = bundle('history', { links, entries: entries(imms), total: 3 });
    expect(fhirJson(withStored)).toBe(JSON.stringify(withParsed));
    expect(JSON.parse(fhirJson(withStored))).toEqual(withParsed);
  });

  it('is not misled by text that looks like its placeholder, in a link or in a stored resource', () => {
    const tricky = { ...imms, note: [{ text: '\u0000stored' }] };
    const links = [{ relation: 'self', url: 'http://x/?q=%00stored&p="\u0000stored"' }];
    const entry = (resource: StoredJson | typeof tricky) => [
      searchEntry('urn:uuid:1', resource, 'match'),
      searchEntry('urn:uuid:2', resource, 'match'),
    ];
    const withStored = bundle('searchset', { id: '\u0000stored', links, entries: entry(new StoredJson(JSON.stringify(tricky))), total: 2 });
    const withParsed = bundle('searchset', { id: '\u0000stored', links, entries: entry(tricky), total: 2 });
    expect(fhirJson(withStored)).toBe(JSON.stringify(withParsed));
  });

  it('stringifies bodies without stored JSON as JSON.stringify does', () => {
    const b = bundle('searchset', { links: [], entries: [searchEntry('urn:uuid:1', imms, 'match')], total: 1 });
    expect(fhirJson(b)).toBe(JSON.stringify(b));
    expect(fhirJson(imms)).toBe(JSON.stringify(imms));
  });
});
