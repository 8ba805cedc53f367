import { inputDataError } from './input-data-error';

describe('inputDataError: database refusals of client values become 400, nothing else does', () => {
  it.each([
    ['22007', 'invalid datetime format'],
    ['22008', 'datetime field overflow'],
    ['22P05', 'untranslatable character (NUL)'],
    ['22021', 'character not in repertoire'],
    ['22001', 'string data right truncation'],
    ['54000', 'index row size exceeds maximum'],
  ])('%s (%s) → 400 invalid', (code) => {
    for (const err of [{ code }, { driverError: { code } }]) {
      const mapped = inputDataError(Object.assign(new Error('x: "secret value"'), err));
      expect(mapped?.status).toBe(400);
      expect(mapped?.issues[0].diagnostics).not.toMatch(/secret/);
    }
  });
  it.each(['23505', '40001', '57014', '08006', 'ECONNREFUSED', undefined])('%s → not mapped', (code) => {
    expect(inputDataError(Object.assign(new Error('x'), { code }))).toBeNull();
  });
});
