import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import {
  buildImmunizationSchema,
  IMMUNIZATION_ELEMENTS,
  PATIENT_ELEMENTS,
  PRACTITIONER_ELEMENTS,
  type FhirElementNames,
} from './fhir-schema';
import { pathOf } from './fhir-path';
import { isObject, show, type JsonObject } from './json';
import { label } from './rule';
import type { ValidationIssue } from './validation-issue';

/** Rule ids of the structural stage (docs/validation-rules.md §1). */
export const STRUCTURE_RULES = [
  'immunization.resourceType',
  'immunization.element.allowed',
  'patient.element.allowed',
  'practitioner.element.allowed',
  'immunization.occurrence.choice',
  'structure.unknownElement',
  'structure.type',
  'structure.empty',
  'structure.format',
  'structure.required',
] as const;

interface Compiled {
  validate: ValidateFunction;
  fhirElements: FhirElementNames;
  compileMs: number;
}

let compiled: Compiled | undefined;

/**
 * The Ajv validator, compiled once on first use (0.3–0.5 s of CPU). `allErrors` so one
 * request hears about every problem; `messages: false` because diagnostics are written here.
 */
export function structureValidator(): Compiled {
  if (compiled) return compiled;
  const started = process.hrtime.bigint();
  const { schema, fhirElements } = buildImmunizationSchema();
  // unicodeRegExp off: FHIR's patterns are plain ASCII classes, and V8 runs non-unicode regexps faster.
  // code.optimize off: a third less compile time at start-up, no measurable cost per validation.
  const ajv = new Ajv({ allErrors: true, strict: false, messages: false, unicodeRegExp: false, code: { optimize: false } });
  const validate = ajv.compile(schema);
  compiled = { validate, fhirElements, compileMs: Number(process.hrtime.bigint() - started) / 1e6 };
  return compiled;
}

const ALLOWED_LISTS = {
  Immunization: IMMUNIZATION_ELEMENTS as readonly string[],
  Patient: PATIENT_ELEMENTS as readonly string[],
  Practitioner: PRACTITIONER_ELEMENTS as readonly string[],
};

/** When several Ajv errors hit one element, the most telling one speaks. */
const PRIORITY: Record<string, number> = {
  type: 0,
  const: 1,
  required: 2,
  additionalProperties: 3,
  minLength: 4,
  minItems: 4,
  minProperties: 4,
  pattern: 5,
  minimum: 6,
  maximum: 6,
};

const EXPECTED: Record<string, string> = {
  object: 'a JSON object',
  array: 'a JSON array',
  string: 'a JSON string',
  boolean: 'true or false',
  number: 'a JSON number',
  integer: 'a whole number',
};

const NUMBER_BOUNDS: Record<string, string> = {
  positiveInt: 'a whole number of at least 1',
  unsignedInt: 'a whole number of at least 0',
  integer: 'a 32-bit whole number',
};

function jsonKind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${show(v)}`;
}

/** The FHIR primitive a keyword came from, read off `#/definitions/<name>/<keyword>`. */
function primitiveOf(err: ErrorObject): string | undefined {
  return /^#\/definitions\/([A-Za-z0-9]+)\/[A-Za-z]+$/.exec(err.schemaPath)?.[1];
}

/** JSON-pointer segments of an error, array indexes as numbers (read off the data, not guessed). */
function segmentsOf(body: JsonObject, err: ErrorObject): (string | number)[] {
  const out: (string | number)[] = [];
  let node: unknown = body;
  if (err.instancePath !== '') {
    for (const raw of err.instancePath.slice(1).split('/')) {
      const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      const seg = Array.isArray(node) ? Number(key) : key;
      out.push(seg);
      node = (node as Record<string | number, unknown> | undefined)?.[seg];
    }
  }
  const extra = err.params as { additionalProperty?: string; missingProperty?: string };
  if (extra.additionalProperty !== undefined) out.push(extra.additionalProperty);
  else if (err.keyword === 'required' && extra.missingProperty !== undefined) out.push(extra.missingProperty);
  return out;
}

function valueAt(body: JsonObject, segments: readonly (string | number)[]): unknown {
  let node: unknown = body;
  for (const s of segments) node = (node as Record<string | number, unknown> | null | undefined)?.[s];
  return node;
}

/** Which narrowed resource an element name belongs to, when it sits directly on one. */
function ownerOf(body: JsonObject, parent: readonly (string | number)[]): keyof FhirElementNames | undefined {
  if (parent.length === 0) return 'Immunization';
  if (parent.length === 2 && parent[0] === 'contained') {
    const type = valueAt(body, parent);
    if (isObject(type) && (type.resourceType === 'Patient' || type.resourceType === 'Practitioner')) return type.resourceType;
  }
  return undefined;
}

function toIssue(body: JsonObject, err: ErrorObject, segments: (string | number)[], fhirElements: FhirElementNames): ValidationIssue {
  const expression = pathOf(body, segments);
  const at = label(expression);
  const value = valueAt(body, segments);
  switch (err.keyword) {
    case 'additionalProperties': {
      const name = segments[segments.length - 1] as string;
      const owner = ownerOf(body, segments.slice(0, -1));
      if (owner === 'Immunization' && name === 'occurrenceString') {
        return {
          rule: 'immunization.occurrence.choice',
          expression,
          diagnostics: `${at} is not accepted by this service: send the date as occurrenceDateTime`,
        };
      }
      if (owner && fhirElements[owner].has(name)) {
        const rule = `${owner.toLowerCase()}.element.allowed`;
        const where = owner === 'Immunization' ? 'an Immunization' : `a contained ${owner}`;
        return {
          rule,
          expression,
          diagnostics: `${at} is not allowed for this service: ${where} may hold only ${ALLOWED_LISTS[owner].join(', ')}`,
        };
      }
      return {
        rule: 'structure.unknownElement',
        expression,
        diagnostics: `${at} is not an element FHIR R4 defines here (unknown element ${show(name)})`,
      };
    }
    case 'const':
      if (segments.length === 1 && segments[0] === 'resourceType') {
        return {
          rule: 'immunization.resourceType',
          expression,
          diagnostics: `Immunization.resourceType must be "Immunization", not ${show(value)}`,
        };
      }
      return {
        rule: 'structure.invalid',
        expression,
        diagnostics: `${at} must be ${show((err.params as { allowedValue?: unknown }).allowedValue)}, not ${show(value)}`,
      };
    case 'required':
      if (segments.length === 1 && segments[0] === 'resourceType') {
        return {
          rule: 'immunization.resourceType',
          expression,
          diagnostics: 'Immunization.resourceType is required and must be "Immunization"',
        };
      }
      return { rule: 'structure.required', expression, diagnostics: `${at} is required by FHIR R4` };
    case 'type': {
      const expected = String((err.params as { type?: unknown }).type);
      const primitive = primitiveOf(err);
      const fhirType = primitive && primitive !== expected ? ` (FHIR ${primitive})` : '';
      return {
        rule: 'structure.type',
        expression,
        diagnostics: `${at} must be ${EXPECTED[expected] ?? expected}${fhirType}, not ${jsonKind(value)}`,
      };
    }
    case 'minLength':
      return { rule: 'structure.empty', expression, diagnostics: `${at} must not be an empty string (FHIR forbids empty values)` };
    case 'minItems':
      return { rule: 'structure.empty', expression, diagnostics: `${at} must not be an empty array (leave the element out instead)` };
    case 'minProperties':
      return { rule: 'structure.empty', expression, diagnostics: `${at} must not be an empty object (leave the element out instead)` };
    case 'pattern':
      return {
        rule: 'structure.format',
        expression,
        diagnostics: `${at} is not a valid FHIR ${primitiveOf(err) ?? 'value'}: ${show(value)}`,
      };
    case 'minimum':
    case 'maximum': {
      const primitive = primitiveOf(err) ?? 'integer';
      return {
        rule: 'structure.format',
        expression,
        diagnostics: `${at} must be ${NUMBER_BOUNDS[primitive] ?? 'in range'} (FHIR ${primitive}), not ${show(value)}`,
      };
    }
    default: // no other keyword occurs in the narrowed schema; kept so a schema change cannot crash
      return { rule: 'structure.invalid', expression, diagnostics: `${at} is not valid FHIR R4 (${err.keyword})` };
  }
}

/**
 * FHIR R4 structure plus the service's element lists: one issue per offending element, in the
 * order Ajv met them. Ajv can report one element several times (an empty string fails both
 * `minLength` and `pattern`); those collapse into the most telling one.
 */
export function structuralIssues(body: JsonObject): ValidationIssue[] {
  const { validate, fhirElements } = structureValidator();
  if (validate(body)) return [];
  const chosen = new Map<string, { err: ErrorObject; segments: (string | number)[] }>();
  for (const err of validate.errors ?? []) {
    if (err.keyword === 'if') continue; // the contained discriminator's "then failed" echo
    const segments = segmentsOf(body, err);
    const key = segments.join('\u0000');
    const seen = chosen.get(key);
    if (!seen || (PRIORITY[err.keyword] ?? 9) < (PRIORITY[seen.err.keyword] ?? 9)) {
      // Map keeps first-insertion order even when the value is replaced.
      chosen.set(key, { err, segments });
    }
  }
  return [...chosen.values()].map(({ err, segments }) => toIssue(body, err, segments, fhirElements));
}
