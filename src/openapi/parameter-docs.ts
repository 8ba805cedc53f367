import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../config/app-config';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// Parameter schemas and texts of the OpenAPI document, by parameter name.

const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
const VACCINE_TYPES = Object.keys(JSON.parse(readFileSync(join(PROJECT_ROOT, 'config', 'vaccine-types.json'), 'utf8')) as object);

/**
 * Types, enums, patterns and examples of parameters, by name and location. Swagger UI pre-fills
 * "Try it out" with an example, so only parameters that combine with each other get one: an example
 * X-Request-ID would turn every create into a retry of the first, an example identifier or
 * target-disease would make every patient search a 400.
 */
export function parameterSchema(name: string, location: string, maxCount: number): Json | undefined {
  if (location === 'path' && (name === 'id' || name === 'vid')) {
    return name === 'id'
      ? { type: 'string', pattern: '^[A-Za-z0-9\\-.]{1,64}$', example: '29dc4e84-7e72-11ee-b962-0242ac120002' }
      : { type: 'integer', minimum: 1, example: 1 };
  }
  const byName: Record<string, Json> = {
    'patient.identifier': {
      type: 'string',
      pattern: '^https://fhir\\.nhs\\.uk/Id/nhs-number\\|[0-9]{10}$',
      example: 'https://fhir.nhs.uk/Id/nhs-number|9449310475',
    },
    '-immunization.target': { type: 'string', enum: VACCINE_TYPES, example: 'COVID' },
    'target-disease': { type: 'string', pattern: '^http://snomed\\.info/sct\\|[0-9]{6,18}(,http://snomed\\.info/sct\\|[0-9]{6,18})*$' },
    '-date.from': { type: 'string', format: 'date', example: '2020-01-01' },
    '-date.to': { type: 'string', format: 'date', example: '2030-12-31' },
    identifier: { type: 'string', pattern: '^[^|]+\\|.+$' },
    _elements: { type: 'string', enum: ['id', 'meta', 'id,meta'] },
    _include: { type: 'string', enum: ['Immunization:patient'] },
    _count: { type: 'integer', minimum: 0, maximum: maxCount },
    _since: { type: 'string', format: 'date-time', example: '2026-01-01T00:00:00Z' },
    'X-Request-ID': { type: 'string', pattern: UUID_PATTERN },
    'X-Correlation-ID': { type: 'string', pattern: UUID_PATTERN },
    'E-Tag': { type: 'integer', minimum: 1, example: 1 },
    'If-Match': { type: 'string', pattern: '^(W/)?"?[1-9][0-9]*"?$' },
    Prefer: { type: 'string', enum: ['return=minimal', 'return=representation', 'return=OperationOutcome'] },
  };
  return byName[name];
}

export const HEADER_TEXT: Record<string, string> = {
  'target-disease': 'e.g. `http://snomed.info/sct|840539006`. ',
  identifier: 'e.g. `https://supplierABC/identifiers/vacc|a7437179-e86e-4855-b68e-24b5jhg3g`. ',
  'X-Request-ID':
    'A UUID for this request: logged, mirrored back, and on create a retry with the same value within 24 h returns the first answer instead of writing twice.',
  'X-Correlation-ID': 'An id that follows a transaction across systems; mirrored back.',
  'E-Tag': 'NHS version precondition: the version last seen. A stale one gives 400 INVARIANT. Send this or If-Match.',
  'If-Match': 'FHIR version precondition, `W/"<version>"`. A stale one gives 412. Send this or E-Tag.',
};
