import { selectedNameIndex } from './patient-name';

const at = (iso: string) => ({ low: Date.parse(iso), high: Date.parse(iso) });
const occ = at('2021-02-07T12:00:00Z');

describe('selectedNameIndex (docs/validation-rules.md §3)', () => {
  it.each([
    ['the single entry, whatever its use', [{ use: 'old' }], 0],
    ['the first current official one', [{ use: 'usual' }, { use: 'official' }, { use: 'official' }], 1],
    [
      'an official one whose period covers the occurrence',
      [{ use: 'usual' }, { use: 'official', period: { start: '2021-02-07', end: '2021-02-07' } }],
      1,
    ],
    ['not an official one whose period ended', [{ use: 'maiden' }, { use: 'official', period: { end: '2021-02-06T23:59:59Z' } }], 0],
    ['not an official one whose period starts later', [{ use: 'usual' }, { use: 'official', period: { start: '2021-03' } }], 0],
    ['else the first current non-old one', [{ use: 'old' }, { use: 'nickname', period: { end: '2020' } }, { use: 'usual' }], 2],
    ['a name without use counts as non-old', [{ use: 'old' }, {}], 1],
    ['else the first', [{ use: 'old' }, { use: 'old' }], 0],
    ['malformed entries are skipped, never thrown on', [null, 'x', { use: 'official' }], 2],
    ['an unreadable period is treated as open', [{ use: 'old' }, { use: 'official', period: { start: 'soon' } }], 1],
  ])('picks %s', (_why, names, expected) => {
    expect(selectedNameIndex(names, occ)).toBe(expected);
  });
});
