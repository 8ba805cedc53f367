import { parseBatchFileName } from './file-name';

describe('parseBatchFileName', () => {
  it.each([
    ['FLU_Vaccinations_v5_YGM41_20260131T09000000.csv', 'FLU', 'YGM41', '2026-01-31T09:00:00.000Z'],
    ['flu_vaccinations_V5_ygm41_20260131T09000001.CSV', 'FLU', 'YGM41', '2026-01-31T08:00:00.000Z'],
    ['COVID_Vaccinations_v5_B0C4P_20251231T23595900.csv', 'COVID', 'B0C4P', '2025-12-31T23:59:59.000Z'],
  ])('%s is accepted', (name, type, ods, at) => {
    expect(parseBatchFileName(name)).toEqual({ vaccineType: type, odsCode: ods, timestamp: new Date(at) });
  });

  it.each([
    ['FLU_Vaccinations_v5_YGM41_20260131T09000000', /not valid/],
    ['FLU_Vaccinations_v5_YGM41_X_20260131T09000000.csv', /not valid/],
    ['NOPE_Vaccinations_v5_YGM41_20260131T09000000.csv', /not a known vaccine type/],
    ['FLU_Vaxx_v5_YGM41_20260131T09000000.csv', /Vaccinations/],
    ['FLU_Vaccinations_v4_YGM41_20260131T09000000.csv', /v5/],
    ['FLU_Vaccinations_v5_Y-1_20260131T09000000.csv', /ODS code/],
    ['FLU_Vaccinations_v5_YGM41_20260131T09000002.csv', /zone/],
    ['FLU_Vaccinations_v5_YGM41_20260230T09000000.csv', /not a valid date/],
    ['FLU_Vaccinations_v5_YGM41_20260131T24000000.csv', /not a valid date/],
    ['FLU_Vaccinations_v5_YGM41_20260131T09600000.csv', /not a valid date/],
    ['F'.repeat(201), /longer than 200/],
  ])('%s is refused', (name, why) => {
    const r = parseBatchFileName(name);
    expect('error' in r && r.error).toMatch(why);
  });
});
