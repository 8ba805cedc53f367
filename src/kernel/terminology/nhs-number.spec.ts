import { NHS_NUMBER_SYSTEM, NhsNumber } from './nhs-number';

describe('NhsNumber (docs/validation-rules.md §3: 10 digits, modulus 11)', () => {
  it.each([
    ['9000000009', 'the API sandbox example'],
    ['9449310475', 'the OpenAPI create example'],
    ['5994201928', 'national e2e test data'],
    ['9658056547', 'national e2e test data'],
    ['9434765919', 'check digit from remainder 2'],
    ['4010232137', 'check digit from remainder 4'],
    ['1000000060', 'remainder 0: 11 is written as check digit 0'],
    ['0000000000', 'all zeros pass the arithmetic'],
  ])('accepts %s (%s)', (value) => {
    expect(NhsNumber.isValid(value)).toBe(true);
    expect(NhsNumber.parse(value)?.value).toBe(value);
    expect(NhsNumber.problem(value)).toBeNull();
  });

  it.each([
    ['9449310476', 'wrong check digit', /check digit/],
    ['1000000061', 'check 11 must be written 0, not 1', /check digit/],
    ['1000000060 ', 'trailing space', /10 digits/],
    ['944931047', 'nine digits', /10 digits/],
    ['94493104750', 'eleven digits', /10 digits/],
    ['944931047A', 'a letter', /10 digits/],
    ['944 931 0475', 'spaced groups (not normalised)', /10 digits/],
    ['1000000010', 'first nine digits give check 10: no valid number', /no check digit/],
    ['1000000019', 'first nine digits give check 10, any last digit', /no check digit/],
    ['', 'empty', /10 digits/],
  ])('rejects %j (%s)', (value, _why, problem) => {
    expect(NhsNumber.isValid(value)).toBe(false);
    expect(NhsNumber.parse(value)).toBeNull();
    expect(NhsNumber.problem(value)).toMatch(problem);
  });

  it.each([[9449310475], [null], [undefined], [['9449310475']]])('rejects the non-string %p', (value) => {
    expect(NhsNumber.isValid(value)).toBe(false);
    expect(NhsNumber.parse(value)).toBeNull();
  });

  it('prints as the bare digits', () => {
    const a = NhsNumber.parse('9449310475');
    expect(`${a}`).toBe('9449310475');
  });

  it('exports the FHIR identifier system', () => {
    expect(NHS_NUMBER_SYSTEM).toBe('https://fhir.nhs.uk/Id/nhs-number');
  });
});
