import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

const SEED = join(__dirname, '../../../../shared/spec/mns-vaccination-record-change-event.txt');

/** The first complete JSON object in `text` that starts at `from` (a brace-matching scan that respects strings). */
function jsonObjectAt(text: string, from: number): string {
  let depth = 0;
  let inString = false;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return text.slice(from, i + 1);
  }
  throw new Error('unterminated JSON object in the seed');
}

/** The draft 2020-12 JSON Schema of the MNS FHIR signal, exactly as the seed page prints it. */
export function seedSignalSchema(): any {
  const text = readFileSync(SEED, 'utf8');
  const start = text.lastIndexOf('{', text.indexOf('"$schema": "https://json-schema.org/draft/2020-12/schema"'));
  return JSON.parse(jsonObjectAt(text, start));
}

/**
 * The seed schema with ONE deliberate change. The seed pins notification-event.event-number to
 * the const "1" ("Note this is a fixed value"), but contract §6 — which wins over the seed — makes
 * event-number the subscription's running count so that a gap or a repeat is visible to the
 * receiver. So here, and only here, that const is relaxed to a positive-integer pattern; every
 * other constraint of the seed applies unchanged.
 */
export function contractSignalSchema(): any {
  const schema = seedSignalSchema();
  const eventNumber = schema.$defs['mns-fhir-signal'].properties.resource.properties.parameter.prefixItems[3].properties.part.prefixItems[0].properties;
  if (eventNumber.name.const !== 'event-number' || eventNumber.valueString.const !== '1') {
    throw new Error('the seed schema no longer pins event-number to "1": revisit this relaxation');
  }
  eventNumber.valueString = { type: 'string', pattern: '^[1-9][0-9]*$' };
  return schema;
}

/** A validator for signals: returns null when valid, else Ajv's error list as text. */
export function signalValidator(): (signal: unknown) => string | null {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  const validate = ajv.compile(contractSignalSchema());
  return (signal) => (validate(signal) ? null : ajv.errorsText(validate.errors));
}
