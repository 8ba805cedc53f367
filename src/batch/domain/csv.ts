/**
 * `|`-delimited CSV, streamed: feed text pieces in, records come out. Values may be quoted
 * ("a|b", "" for a quote inside), quoted values may span lines; CRLF or LF ends a record. Blank
 * lines are skipped. Never throws: an unterminated quote runs to the end of the input.
 */
const PIPE = 0x7c;
const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

export class PipeCsvParser {
  private field = '';
  private record: string[] = [];
  private inQuotes = false;
  /** A quote seen inside a quoted value: either the closing quote or the first of "". */
  private quotePending = false;
  private touched = false;

  /**
   * Parses `text` and returns the records it completed. Plain characters are not appended one by
   * one (that builds a chain of one-character strings per value, ~20 kB of garbage per row): a
   * value is taken as slices of `text` between the characters that matter.
   */
  push(text: string): string[][] {
    const out: string[][] = [];
    let run = 0; // start of the plain characters not yet added to this.field
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.inQuotes) {
        if (this.quotePending) {
          this.quotePending = false;
          if (c === QUOTE) {
            this.field += '"';
            run = i + 1;
            continue;
          }
          this.inQuotes = false;
          // fall through: c is handled as outside quotes
        } else {
          if (c === QUOTE) {
            this.field += text.slice(run, i);
            this.quotePending = true;
            run = i + 1;
          }
          continue;
        }
      }
      if (c === PIPE) {
        this.record.push(this.field + text.slice(run, i));
        this.field = '';
        this.touched = true;
        run = i + 1;
      } else if (c === LF) {
        this.field += text.slice(run, i);
        this.endRecord(out);
        run = i + 1;
      } else if (c === CR) {
        // CR of CRLF (or a lone CR): ignored outside quotes
        this.field += text.slice(run, i);
        run = i + 1;
      } else if (c === QUOTE && run === i && this.field === '') {
        this.inQuotes = true;
        this.touched = true;
        run = i + 1;
      } else {
        this.touched = true;
      }
    }
    this.field += text.slice(run);
    return out;
  }

  /** The last record when the input does not end with a line break. */
  end(): string[][] {
    const out: string[][] = [];
    this.quotePending = false;
    this.inQuotes = false;
    this.endRecord(out);
    return out;
  }

  private endRecord(out: string[][]) {
    if (this.touched || this.field !== '') {
      this.record.push(this.field);
      out.push(this.record);
    }
    this.record = [];
    this.field = '';
    this.touched = false;
  }
}

/** One value for a `|` line: quoted when it holds `|`, a quote or a line break. */
export function csvValue(v: string): string {
  return /[|"\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export const csvLine = (values: readonly string[]) => values.map(csvValue).join('|') + '\n';
