import { searchParameterShape } from './search-parameters.dto';

describe('searchParameterShape', () => {
  it('types the single values: _count a number, the rest trimmed strings', () => {
    const { dto, problems } = searchParameterShape(
      new Map([
        ['_count', ' 007 '],
        ['_include', ' immunization:PATIENT '],
        ['-date.from', '2024-02-29'],
        ['-date.to', ' 2024-03-01'],
        ['patient.identifier', 'not looked at here'],
      ]),
      50,
    );
    expect(problems.size).toBe(0);
    expect(dto._count).toBe(7);
    expect(dto._include).toBe('immunization:PATIENT');
    expect([dto['-date.from'], dto['-date.to']]).toEqual(['2024-02-29', '2024-03-01']);
  });

  it('gives the message of each wrong value by parameter, the page maximum in the _count one', () => {
    const { problems } = searchParameterShape(
      new Map([
        ['_count', '-1'],
        ['_include', 'Immunization:performer'],
        ['-date.from', '2023-02-29'],
        ['-date.to', ''],
      ]),
      50,
    );
    expect(Object.fromEntries(problems)).toEqual({
      _count: 'Search parameter _count must be a whole number from 0 (at most 50 are returned per page).',
      _include: 'Search parameter _include may only be "Immunization:patient".',
      '-date.from': 'Search parameter -date.from must be a real calendar date in the format YYYY-MM-DD.',
      '-date.to': 'Search parameter -date.to must be a real calendar date in the format YYYY-MM-DD.',
    });
    expect(searchParameterShape(new Map([['_count', '1.5']]), 9).problems.get('_count')).toContain('at most 9 are');
  });
});
