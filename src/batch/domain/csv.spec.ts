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

/** The parser's first, character-at-a-time version: the reference the sliced version must match. */
function referenceParse(pieces: string[]): string[][] {
  const out: string[][] = [];
  let field = '';
  let record: string[] = [];
  let inQuotes = false;
  let quotePending = false;
  let touched = false;
  const endRecord = () => {
    if (touched || field !== '') {
      record.push(field);
      out.push(record);
    }
    record = [];
    field = '';
    touched = false;
  };
  for (const c of pieces.join('')) {
    if (inQuotes) {
      if (quotePending) {
        quotePending = false;
        if (c === '"') {
          field += '"';
          continue;
        }
        inQuotes = false;
      } else if (c === '"') {
        quotePending = true;
        continue;
      } else {
        field += c;
        continue;
      }
    }
    if (c === '|') {
      record.push(field);
      field = '';
      touched = true;
    } else if (c === '\n') endRecord();
    else if (c === '\r') continue;
    else if (c === '"' && field === '') {
      inQuotes = true;
      touched = true;
    } else {
      field += c;
      touched = true;
    }
  }
  endRecord();
  return out;
}

describe('PipeCsvParser against the character-at-a-time reference', () => {
  it('agrees on 2,000 random inputs split into random pieces', () => {
    let seed = 42;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const alphabet = ['a', 'b', 'é', ' ', '|', '"', '""', '\n', '\r\n', '\r', 'xyz'];
    for (let n = 0; n < 2000; n++) {
      let text = '';
      const length = Math.floor(random() * 40);
      for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
      const pieces: string[] = [];
      for (let at = 0; at < text.length;) {
        const size = 1 + Math.floor(random() * 6);
        pieces.push(text.slice(at, at + size));
        at += size;
      }
      expect({ text, records: parse(...pieces) }).toEqual({ text, records: referenceParse(pieces) });
    }
  });
});
