import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/**
 * The draft 2020-12 JSON Schema of the MNS FHIR signal, copied verbatim from the MNS event
 * definition ("vaccination record change") into the repository so the tests stand on their own.
 */
const SEED = join(__dirname, '../../fixtures/spec/mns-fhir-signal.schema.json');

/** The seed schema, exactly as the MNS event definition prints it. */
export function seedSignalSchema(): any {
  return JSON.parse(readFileSync(SEED, 'utf8'));
}

/**
 * The seed schema with ONE deliberate change. The seed pins notification-event.event-number to
 * the const "1" ("Note this is a fixed value"), but docs/api.md §6 — which wins over the seed — makes
 * event-number the subscription's running count so that a gap or a repeat is visible to the
 * receiver. So here, and only here, that const is relaxed to a positive-integer pattern; every
 * other constraint of the seed applies unchanged.
 */
export function contractSignalSchema(): any {
  const schema = seedSignalSchema();
  const eventNumber =
    schema.$defs['mns-fhir-signal'].properties.resource.properties.parameter.prefixItems[3].properties.part.prefixItems[0].properties;
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
