import { DomainError } from '../../kernel/domain-error';

/**
 * The version an update was based on, and how the client said it: `E-Tag: <n>` (NHS; a mismatch
 * is 400) or `If-Match: W/"<n>"` (FHIR; a mismatch is 412). Contract §2.
 */
export interface VersionPrecondition {
  version: number;
  via: 'E-Tag' | 'If-Match';
}

const ETAG = /^[1-9]\d{0,8}$/;
const IF_MATCH = /^(?:W\/)?"([1-9]\d{0,8})"$|^([1-9]\d{0,8})$/;

export function parseVersionPrecondition(eTag: string | undefined, ifMatch: string | undefined): VersionPrecondition {
  const e = eTag?.trim();
  const m = ifMatch?.trim();
  if (!e && !m) {
    throw DomainError.invariant('An update needs the version it is based on: send E-Tag: <version> or If-Match: W/"<version>".');
  }
  let fromETag: number | undefined;
  let fromIfMatch: number | undefined;
  if (e) {
    if (!ETAG.test(e))
      throw DomainError.invariant(`E-Tag must be a positive whole number (the record's version), got "${e.slice(0, 40)}".`);
    fromETag = Number(e);
  }
  if (m) {
    const match = IF_MATCH.exec(m);
    if (!match) throw DomainError.invariant(`If-Match must be W/"<version>" with a positive whole number, got "${m.slice(0, 40)}".`);
    fromIfMatch = Number(match[1] ?? match[2]);
  }
  if (fromETag !== undefined && fromIfMatch !== undefined && fromETag !== fromIfMatch) {
    throw DomainError.invariant(`E-Tag (${fromETag}) and If-Match (${fromIfMatch}) name different versions.`);
  }
  return fromIfMatch !== undefined ? { version: fromIfMatch, via: 'If-Match' } : { version: fromETag as number, via: 'E-Tag' };
}

/** The error for a version that is no longer current, in the dialect the client used. */
export function staleVersion(p: VersionPrecondition, current: number) {
  const text = `The record is at version ${current}, not ${p.version}: read it again and reapply the change.`;
  return p.via === 'If-Match' ? DomainError.versionConflict(text) : DomainError.invariant(text);
}
