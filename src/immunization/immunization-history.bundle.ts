import type { Bundle, BundleEntry, Immunization } from '@medplum/fhirtypes';
import type { RecordedVersion } from './queries/recorded-version';

const METHOD = { CREATE: 'POST', UPDATE: 'PUT', DELETE: 'DELETE' } as const;
const STATUS = { CREATE: '201', UPDATE: '200', DELETE: '204' } as const;

/** A FHIR `history` Bundle: one entry per change; a deletion has request/response but no resource. */
export function historyBundle(
  events: RecordedVersion[],
  resourceBase: string,
  links: { relation: string; url: string }[],
  total?: number,
): Bundle<Immunization> {
  const bundle: Bundle<Immunization> = {
    resourceType: 'Bundle',
    type: 'history',
    link: links,
    entry: events.map((e) => {
      const url = `Immunization/${e.id}`;
      const entry: BundleEntry<Immunization> = { fullUrl: `${resourceBase}/${url}` };
      if (e.operation !== 'DELETE') entry.resource = e.resource;
      entry.request = { method: METHOD[e.operation], url: e.operation === 'CREATE' ? 'Immunization' : url };
      entry.response = { status: STATUS[e.operation], etag: `W/"${e.version}"`, lastModified: e.recordedAt.toISOString() };
      return entry;
    }),
  };
  if (total !== undefined) bundle.total = total;
  return bundle;
}
