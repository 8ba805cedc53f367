// FHIR search escaping: `\,` `\|` `\$` `\\` stand for the character itself.
export function splitUnescaped(raw: string, separator: ',' | '|', limit = Infinity): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '\\' && i + 1 < raw.length) {
      current += c + raw[++i];
    } else if (c === separator && parts.length < limit - 1) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

export const unescape = (s: string) => s.replace(/\\([\\,|$])/g, '$1');
export const escape = (s: string) => s.replace(/[\\,|$]/g, (c) => `\\${c}`);

/** The comma-separated values of a parameter, unescaped and trimmed, empty ones dropped, repeats removed. */
export function orValues(raw: string): string[] {
  return [
    ...new Set(
      splitUnescaped(raw, ',')
        .map((v) => unescape(v).trim())
        .filter((v) => v !== ''),
    ),
  ];
}

/**
 * `system|value` split at the first unescaped bar, or null when there is none. Trimmed, except for
 * `identifier` where the supplier's own value is matched exactly as stored.
 */
export function token(raw: string, trim = true): { system: string; value: string } | null {
  const parts = splitUnescaped(trim ? raw.trim() : raw, '|', 2);
  if (parts.length !== 2) return null;
  const clean = (s: string) => (trim ? unescape(s).trim() : unescape(s));
  return { system: clean(parts[0]), value: clean(parts[1]) };
}
