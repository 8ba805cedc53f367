import { fhirErrorOf } from '../../fhir/domain-error-outcome';
import type { DomainError } from '../../kernel/domain-error';
import { parseVersionPrecondition, staleVersion } from './version-precondition';

const statusOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    // The status the HTTP edge answers the domain's refusal with.
    return fhirErrorOf(e as DomainError).status;
  }
  return 0;
};

describe('version precondition (docs/api.md §2)', () => {
  it.each<[{ eTag?: string; ifMatch?: string }, object]>([
    [{ eTag: '3' }, { version: 3, via: 'E-Tag' }],
    [{ ifMatch: 'W/"3"' }, { version: 3, via: 'If-Match' }],
    [{ ifMatch: '"12"' }, { version: 12, via: 'If-Match' }],
    [{ ifMatch: '7' }, { version: 7, via: 'If-Match' }],
    [
      { eTag: '2', ifMatch: 'W/"2"' },
      { version: 2, via: 'If-Match' },
    ],
  ])('accepts %j', (h, expected) => {
    expect(parseVersionPrecondition(h.eTag, h.ifMatch)).toEqual(expected);
  });

  it.each([
    [undefined, undefined],
    ['0', undefined],
    ['-1', undefined],
    ['1.0', undefined],
    ['W/"1"', undefined],
    ['abc', undefined],
    [undefined, 'W/1'],
    [undefined, 'W/"0"'],
    [undefined, '*'],
    ['1', 'W/"2"'],
  ])('refuses E-Tag %p / If-Match %p with 400', (eTag, ifMatch) => {
    expect(statusOf(() => parseVersionPrecondition(eTag, ifMatch))).toBe(400);
  });

  it('answers a stale version 412 for If-Match and 400 for E-Tag', () => {
    expect(fhirErrorOf(staleVersion({ version: 1, via: 'If-Match' }, 2)).status).toBe(412);
    expect(fhirErrorOf(staleVersion({ version: 1, via: 'E-Tag' }, 2)).status).toBe(400);
  });
});
