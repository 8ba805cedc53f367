import { isObject } from './json';

const SIMPLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NAMED_CONTAINED = new Set(['Patient', 'Practitioner']);

/** FHIRPath spelling of one element name (backtick-quoted when it is not a plain identifier). */
export function fhirPathName(name: string): string {
  return SIMPLE_NAME.test(name) ? name : '`' + name.replace(/\\/g, '\\\\').replace(/`/g, '\\`') + '`';
}

/**
 * The FHIRPath of `contained[index]`: `Immunization.contained.where(resourceType='Patient')` when
 * that entry is the only Patient (or Practitioner), as clients read it; the index form otherwise.
 */
export function containedPath(resource: unknown, index: number): string {
  const contained = isObject(resource) && Array.isArray(resource.contained) ? resource.contained : [];
  const entry = contained[index];
  const type = isObject(entry) ? entry.resourceType : undefined;
  if (typeof type === 'string' && NAMED_CONTAINED.has(type)) {
    const same = contained.reduce<number>((n, r) => (isObject(r) && r.resourceType === type ? n + 1 : n), 0);
    if (same === 1) return `Immunization.contained.where(resourceType='${type}')`;
  }
  return `Immunization.contained[${index}]`;
}

/** Append element names and indexes to a FHIRPath: `append('Immunization', ['site', 'coding', 1])`. */
export function appendPath(base: string, segments: readonly (string | number)[]): string {
  let path = base;
  for (const s of segments) path += typeof s === 'number' ? `[${s}]` : `.${fhirPathName(s)}`;
  return path;
}

/**
 * The FHIRPath of a location in an Immunization given as JSON-pointer-like segments, e.g.
 * `['contained', 1, 'birthDate']` → `Immunization.contained.where(resourceType='Patient').birthDate`.
 */
export function pathOf(resource: unknown, segments: readonly (string | number)[]): string {
  if (segments[0] === 'contained' && typeof segments[1] === 'number') {
    return appendPath(containedPath(resource, segments[1]), segments.slice(2));
  }
  return appendPath('Immunization', segments);
}
