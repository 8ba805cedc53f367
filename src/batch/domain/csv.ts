/**
 * `|`-delimited CSV, streamed: feed text pieces in, records come out. Values may be quoted
 * ("a|b", "" for a quote inside), quoted values may span lines; CRLF or LF ends a record. Blank
 * lines are skipped. Never throws: an unterminated quote runs to the end of the input.
 */
export class PipeCsvParser {
  private field = '';
  private record: string[] = [];
  private inQuotes = false;
  /** A quote seen inside a quoted value: either the closing quote or the first of "". */
  private quotePending = false;
  private touched = false;

  /** Parses `text` and returns the records it completed. */
  push(text: string): string[][] {
    const out: string[][] = [];
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (this.inQuotes) {
        if (this.quotePending) {
          this.quotePending = false;
          if (c === '"') {
            this.field += '"';
            continue;
          }
          this.inQuotes = false;
          // fall through: c is handled as outside quotes
        } else if (c === '"') {
          this.quotePending = true;
          continue;
        } else {
          this.field += c;
          continue;
        }
      }
      if (c === '|') {
        this.record.push(this.field);
        this.field = '';
        this.touched = true;
      } else if (c === '\n') {
        this.endRecord(out);
      } else if (c === '\r') {
        // CR of CRLF (or a lone CR): ignored outside quotes
      } else if (c === '"' && this.field === '') {
        this.inQuotes = true;
        this.touched = true;
      } else {
        this.field += c;
        this.touched = true;
      }
    }
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
