/**
 * JSON.parse turns `1.0` into the number 1, so a rule that refuses a decimal where FHIR wants an
 * integer cannot see it in the parsed value. The body reader scans the raw text for the integer
 * elements the service takes and marks the parsed body (a non-enumerable symbol: it never reaches
 * storage or a response) with the names written as decimals or in exponent form.
 */
const WRITTEN_AS_DECIMAL = Symbol('writtenAsDecimal');

/** Elements of FHIR type integer/positiveInt a client sends (one regex alternative each). */
const INTEGER_ELEMENTS = ['doseNumberPositiveInt'];
const DECIMAL_TOKEN = new RegExp(`(?<!\\\\)"(${INTEGER_ELEMENTS.join('|')})"\\s*:\\s*-?\\d+(?:\\.\\d*|(?=[eE]))`, 'g');

export function markDecimalIntegers(text: string, value: unknown): void {
  if (value === null || typeof value !== 'object' || !text.includes('PositiveInt')) return;
  const names = new Set<string>();
  for (const m of text.matchAll(DECIMAL_TOKEN)) names.add(m[1]);
  if (names.size > 0) Object.defineProperty(value, WRITTEN_AS_DECIMAL, { value: names, enumerable: false });
}

/** Whether the body's element `name` was written as a decimal (`1.0`, `1e0`) somewhere. */
export function writtenAsDecimal(body: unknown, name: string): boolean {
  const names = (body as { [WRITTEN_AS_DECIMAL]?: Set<string> } | null)?.[WRITTEN_AS_DECIMAL];
  return names?.has(name) ?? false;
}
