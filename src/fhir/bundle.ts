import type { Resource } from '@medplum/fhirtypes';
import type { StoredJson } from './fhir-json';
import type { OperationOutcome } from './operation-outcome';

export interface BundleLink {
  relation: string;
  url: string;
}

/** An entry's resource: typed FHIR, this service's OperationOutcome, plain JSON shaped element by element (search), or stored JSON. */
export type EntryResource = Resource | OperationOutcome | Record<string, unknown> | StoredJson;

export interface Entry {
  fullUrl: string;
  resource?: EntryResource;
  search?: { mode: 'match' | 'include' | 'outcome' };
  request?: { method: 'POST' | 'PUT' | 'DELETE'; url: string };
  response?: { status: string; etag: string; lastModified: string };
}

/** The Bundles this service answers with; sendFhir serialises them (StoredJson entries spliced in as stored). */
export interface FhirBundle {
  resourceType: 'Bundle';
  id?: string;
  type: 'searchset' | 'history';
  link: BundleLink[];
  entry: Entry[];
  total?: number;
}

/**
 * Every Bundle of the service: searchset (Immunization search, the Subscription list) and history
 * (an instance's history, the change feed). Keys in one order: resourceType, id, type, link, entry, total.
 */
export function bundle(type: FhirBundle['type'], o: { id?: string; links: BundleLink[]; entries: Entry[]; total?: number }): FhirBundle {
  const b: FhirBundle =
    o.id === undefined
      ? { resourceType: 'Bundle', type, link: o.links, entry: o.entries }
      : { resourceType: 'Bundle', id: o.id, type, link: o.links, entry: o.entries };
  if (o.total !== undefined) b.total = o.total;
  return b;
}

/** A searchset entry. */
export const searchEntry = (fullUrl: string, resource: EntryResource, mode: 'match' | 'include' | 'outcome'): Entry => ({
  fullUrl,
  resource,
  search: { mode },
});

export type HistoryOperation = 'CREATE' | 'UPDATE' | 'DELETE';
const METHOD = { CREATE: 'POST', UPDATE: 'PUT', DELETE: 'DELETE' } as const;
const STATUS = { CREATE: '201', UPDATE: '200', DELETE: '204' } as const;

/** A history entry: one change of `type/id`; a deletion has request and response but no resource. */
export function historyEntry(
  base: string,
  change: { type: string; id: string; operation: HistoryOperation; version: number; at: Date; resource: EntryResource },
): Entry {
  const url = `${change.type}/${change.id}`;
  const entry: Entry = { fullUrl: `${base}/${url}` };
  if (change.operation !== 'DELETE') entry.resource = change.resource;
  entry.request = { method: METHOD[change.operation], url: change.operation === 'CREATE' ? change.type : url };
  entry.response = { status: STATUS[change.operation], etag: `W/"${change.version}"`, lastModified: change.at.toISOString() };
  return entry;
}
