import { SNOMED_SYSTEM, SnomedConceptId, verhoeffValid } from './snomed-concept-id';

describe('verhoeffValid', () => {
  // Published vectors: 236 → 3, 12345 → 1, 142857 → 0.
  it.each(['2363', '123451', '1428570'])('accepts %s (published check digit)', (digits) => {
    expect(verhoeffValid(digits)).toBe(true);
  });
  it.each(['2364', '123452', '1428571', '2633'])('rejects %s (a wrong or transposed digit)', (digits) => {
    expect(verhoeffValid(digits)).toBe(false);
  });
});

describe('SnomedConceptId (docs/validation-rules.md §4: 6–18 digits, no leading 0, partition 00/10, Verhoeff)', () => {
  it.each([
    ['840539006', 'COVID-19 disease, core concept (partition 00)'],
    ['6142004', 'Influenza, 7 digits'],
    ['368208006', 'left upper arm'],
    ['1324681000000101', 'UK extension procedure (partition 10)'],
    ['39114911000001105', 'UK dm+d product, 17 digits'],
    ['884861000000100', 'national e2e procedure code'],
    ['100005', 'six digits, the shortest id'],
  ])('accepts %s (%s)', (value) => {
    expect(SnomedConceptId.isValid(value)).toBe(true);
    expect(SnomedConceptId.parse(value)?.value).toBe(value);
    expect(SnomedConceptId.problem(value)).toBeNull();
  });

  it.each([
    ['840539007', 'wrong check digit', /Verhoeff/],
    ['0840539006', 'leading zero', /leading zero/],
    ['10000', 'five digits', /6 to 18/],
    ['1234567890123456789', 'nineteen digits', /6 to 18/],
    ['84053900X', 'a letter', /6 to 18/],
    ['2622896019', 'a description id (partition 01)', /partition identifier 01/],
    ['100022', 'partition 02 (relationship)', /partition identifier 02/],
    ['1000011', 'partition 01 even with a good length', /partition/],
    ['', 'empty', /6 to 18/],
  ])('rejects %j (%s)', (value, _why, problem) => {
    expect(SnomedConceptId.isValid(value)).toBe(false);
    expect(SnomedConceptId.parse(value)).toBeNull();
    expect(SnomedConceptId.problem(value)).toMatch(problem);
  });

  it.each([[840539006], [null], [{}]])('rejects the non-string %p', (value) => {
    expect(SnomedConceptId.isValid(value)).toBe(false);
  });

  it('knows its partition and the SNOMED system URI', () => {
    expect(SnomedConceptId.parse('1324681000000101')?.partition).toBe('10');
    expect(SnomedConceptId.parse('840539006')?.partition).toBe('00');
    expect(SNOMED_SYSTEM).toBe('http://snomed.info/sct');
  });
});
