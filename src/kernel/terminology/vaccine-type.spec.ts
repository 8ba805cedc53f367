import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VaccineType, vaccineTypeOf } from './vaccine-type';

const config = JSON.parse(readFileSync(join(__dirname, '../../../config/vaccine-types.json'), 'utf8')) as Record<
  string,
  { diseases: [string, string][] }
>;

describe('VaccineType (config/vaccine-types.json)', () => {
  it('lists every configured type, sorted', () => {
    expect(VaccineType.all()).toEqual(Object.keys(config).sort());
    expect(VaccineType.all()).toContain('FLU');
    expect(VaccineType.all()).toHaveLength(Object.keys(config).length);
  });

  it.each(Object.entries(config))('maps the disease set of %s back to it, in any order', (type, { diseases }) => {
    const codes = diseases.map(([code]) => code);
    expect(VaccineType.fromDiseaseCodes(codes)).toBe(type);
    expect(VaccineType.fromDiseaseCodes([...codes].reverse())).toBe(type);
  });

  it.each([
    [['6142004'], 'FLU'],
    [['36653000', '14189004', '36989005'], 'MMR'],
    [['14189004', '36989005', '36653000', '38907003'], 'MMRV'],
    [['709410003', '23511006'], 'HIBMENC'],
    [['6142004', '6142004'], 'FLU'],
  ])('fromDiseaseCodes(%j) = %s (set equality)', (codes, type) => {
    expect(VaccineType.fromDiseaseCodes(codes)).toBe(type);
  });

  it.each([
    [[], 'no codes'],
    [['14189004', '36989005'], 'a subset of MMR'],
    [['6142004', '840539006'], 'FLU plus COVID: no combined type'],
    [['999999999'], 'an unknown disease'],
    [['6142004', '999999999'], 'a known plus an unknown disease'],
  ])('fromDiseaseCodes(%j) = null (%s)', (codes) => {
    expect(VaccineType.fromDiseaseCodes(codes)).toBeNull();
  });

  it('knows types case-sensitively', () => {
    expect(VaccineType.isKnown('MMR')).toBe(true);
    expect(VaccineType.isKnown('mmr')).toBe(false);
    expect(VaccineType.isKnown('')).toBe(false);
  });

  it.each([
    ['14189004', ['MMR', 'MMRV']],
    ['27836007', ['4IN1', '6IN1', 'PERTUSSIS']],
    ['6142004', ['FLU']],
    ['999999999', []],
  ])('coveringDisease(%s) = %j (config/target-disease-to-vaccine-types.json)', (code, types) => {
    expect(VaccineType.coveringDisease(code)).toEqual(types);
  });

  it('gives the disease codes of a type', () => {
    expect(VaccineType.diseasesOf('MMR')).toEqual(['14189004', '36653000', '36989005']);
    expect(VaccineType.diseasesOf('NOPE')).toEqual([]);
  });

  it('hands out copies, so callers cannot change the configuration', () => {
    VaccineType.all().pop();
    VaccineType.coveringDisease('14189004').pop();
    expect(VaccineType.all()).toHaveLength(Object.keys(config).length);
    expect(VaccineType.coveringDisease('14189004')).toEqual(['MMR', 'MMRV']);
  });
});

describe('vaccineTypeOf', () => {
  const withDiseases = (...codes: string[]) => ({
    protocolApplied: [{ targetDisease: codes.map((code) => ({ coding: [{ system: 'http://snomed.info/sct', code }] })) }],
  });

  it('reads the type off protocolApplied[0].targetDisease', () => {
    expect(vaccineTypeOf(withDiseases('6142004'))).toBe('FLU');
    expect(vaccineTypeOf(withDiseases('36989005', '14189004', '36653000'))).toBe('MMR');
  });

  it('ignores codings of other systems', () => {
    const r = withDiseases('840539006');
    r.protocolApplied[0].targetDisease[0].coding.push({ system: 'http://example.org', code: '6142004' });
    expect(vaccineTypeOf(r)).toBe('COVID');
  });

  it.each([[null], [{}], [{ protocolApplied: 'x' }], [{ protocolApplied: [{ targetDisease: [{ coding: 'x' }] }] }], [withDiseases('1')]])(
    'is null for %j, never throws',
    (resource) => {
      expect(vaccineTypeOf(resource)).toBeNull();
    },
  );
});
