import { csvLine, PipeCsvParser } from './csv';

const parse = (...pieces: string[]) => {
  const p = new PipeCsvParser();
  return [...pieces.flatMap((x) => p.push(x)), ...p.end()];
};

describe('PipeCsvParser', () => {
  it.each<[string, string[], string[][]]>([
    [
      'plain rows, LF',
      ['a|b|c\nd|e|f\n'],
      [
        ['a', 'b', 'c'],
        ['d', 'e', 'f'],
      ],
    ],
    [
      'CRLF and no final line break',
      ['a|b\r\nc|d'],
      [
        ['a', 'b'],
        ['c', 'd'],
      ],
    ],
    ['empty values', ['|a||\n'], [['', 'a', '', '']]],
    ['blank lines are skipped', ['\n\na|b\n\r\n\n'], [['a', 'b']]],
    ['quoted value with | and ""', ['"x|y"|"say ""hi"""\n'], [['x|y', 'say "hi"']]],
    ['a quoted value across lines', ['"line1\nline2"|b\n'], [['line1\nline2', 'b']]],
    [
      'split anywhere between pushes',
      ['"a', '|b', '""', 'c"|', 'd\r', '\ne|f'],
      [
        ['a|b"c', 'd'],
        ['e', 'f'],
      ],
    ],
    ['a quote inside an unquoted value is kept', ['ab"c|d\n'], [['ab"c', 'd']]],
    ['an unterminated quote runs to the end', ['"abc|d\ne'], [['abc|d\ne']]],
  ])('%s', (_what, pieces, rows) => {
    expect(parse(...pieces)).toEqual(rows);
  });

  it('reads back what csvLine writes, whatever the values', () => {
    const values = ['plain', 'with|pipe', 'with "quote"', 'multi\nline', '', 'crlf\r\n', '"'];
    expect(parse(csvLine(values) + csvLine(['x']))).toEqual([values, ['x']]);
  });
});
