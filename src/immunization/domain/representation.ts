import type { Immunization } from '@medplum/fhirtypes';

/**
 * The resource as stored and served: what the client sent, with the server's id and version meta.
 * Client-sent meta.versionId / meta.lastUpdated are dropped, never trusted (docs/validation-rules.md §1).
 */
export function representation(body: Immunization, id: string, version: number, at: Date): Immunization {
  const { meta, id: _ignored, resourceType, ...rest } = body;
  const clientMeta = meta && typeof meta === 'object' ? { ...meta } : {};
  delete clientMeta.versionId;
  delete clientMeta.lastUpdated;
  return { resourceType, id, meta: { ...clientMeta, versionId: String(version), lastUpdated: at.toISOString() }, ...rest };
}
