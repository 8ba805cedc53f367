import { SNOMED_SYSTEM } from '../../../kernel/terminology';
import { isInFuture, type FhirMoment } from '../fhir-date';
import { isObject, show } from '../json';
import { OK, issue, requiredText, type Rule, type RuleInput } from '../rule';
import { conceptIdIssues, snomedCodings } from './snomed-codings';
import { vaccineRules } from './vaccine-rules';

/**
 * Longest identifier system and value (each): the pair is a database index key, and an index entry
 * holds at most ~2.7 kB, so two values of this size always fit (a 3,000-character value was a 500).
 */
export const MAX_IDENTIFIER_BYTES = 1024;

export const VACCINATION_PROCEDURE_URL = 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-VaccinationProcedure';

const OCCURRENCE_FORMS = 'YYYY-MM-DD or YYYY-MM-DDThh:mm:ss[.ffffff] with offset +00:00, +01:00, +0000 or +0100';
const RECORDED_FORMS = 'YYYY-MM-DD or YYYY-MM-DDThh:mm:ss[.ffffff] with an offset (e.g. +00:00) or Z';

/** The three rules of a required, not-in-the-future date(-time) element. */
function momentRules(element: 'occurrenceDateTime' | 'recorded', parsed: (input: RuleInput) => FhirMoment | null, forms: string): Rule[] {
  const path = `Immunization.${element}`;
  return [
    {
      id: `immunization.${element}.required`,
      section: '§4',
      check: ({ resource }) =>
        resource[element] === undefined ? [issue(`immunization.${element}.required`, path, `${path} is required (${forms})`)] : OK,
    },
    {
      id: `immunization.${element}.format`,
      section: '§4',
      check: (input) => {
        const value = input.resource[element];
        if (value === undefined || parsed(input) !== null) return OK;
        return [
          issue(
            `immunization.${element}.format`,
            path,
            `${path} ${show(value)} is not an accepted date-time: use ${forms}, with a real calendar date`,
          ),
        ];
      },
    },
    {
      id: `immunization.${element}.notFuture`,
      section: '§4',
      check: (input) => {
        const moment = parsed(input);
        if (!moment || !isInFuture(moment, input.now)) return OK;
        return [
          issue(
            `immunization.${element}.notFuture`,
            path,
            `${path} ${show(input.resource[element])} is in the future: it must not be later than now`,
          ),
        ];
      },
    },
  ];
}

/** The single extension, when `extension` is an array of exactly one object. */
function theExtension(resource: Record<string, unknown>): Record<string, unknown> | undefined {
  const list = resource.extension;
  return Array.isArray(list) && list.length === 1 && isObject(list[0]) ? list[0] : undefined;
}

/** §4: the vaccination event itself. */
export const eventRules: Rule[] = [
  {
    id: 'immunization.status',
    section: '§4',
    check: ({ resource }) => {
      const status = resource.status;
      if (status === 'completed') return OK;
      const got = status === undefined ? 'it is missing' : `not ${show(status)}`;
      return [
        issue(
          'immunization.status',
          'Immunization.status',
          `Immunization.status must be "completed" (the only status this service records), ${got}`,
        ),
      ];
    },
  },
  {
    id: 'immunization.identifier.single',
    section: '§4',
    check: ({ resource }) => {
      const list = resource.identifier;
      if (list === undefined)
        return [
          issue(
            'immunization.identifier.single',
            'Immunization.identifier',
            'Immunization.identifier is required: exactly one identifier (system and value) of the record in your system',
          ),
        ];
      if (!Array.isArray(list) || list.length <= 1) return OK;
      return [
        issue(
          'immunization.identifier.single',
          'Immunization.identifier',
          `Immunization.identifier must hold exactly one identifier, found ${list.length}`,
        ),
      ];
    },
  },
  ...(['system', 'value'] as const).map((part): Rule => ({
    id: `immunization.identifier.${part}`,
    section: '§4',
    check: ({ resource }) => {
      const list = resource.identifier;
      if (!Array.isArray(list) || list.length !== 1 || !isObject(list[0])) return OK;
      const value = list[0][part];
      const missing = requiredText(`immunization.identifier.${part}`, `Immunization.identifier[0].${part}`, value);
      if (missing.length > 0 || Buffer.byteLength(value as string, 'utf8') <= MAX_IDENTIFIER_BYTES) return missing;
      return [
        issue(
          `immunization.identifier.${part}.length`,
          `Immunization.identifier[0].${part}`,
          `Immunization.identifier[0].${part} must be at most ${MAX_IDENTIFIER_BYTES} bytes in UTF-8, it has ${Buffer.byteLength(value as string, 'utf8')}`,
        ),
      ];
    },
  })),
  ...momentRules('occurrenceDateTime', (input) => input.occurrence, OCCURRENCE_FORMS),
  ...momentRules('recorded', (input) => input.recorded, RECORDED_FORMS),
  {
    id: 'immunization.primarySource',
    section: '§4',
    check: ({ resource }) =>
      resource.primarySource === undefined
        ? [issue('immunization.primarySource', 'Immunization.primarySource', 'Immunization.primarySource is required (true or false)')]
        : OK,
  },
  {
    id: 'immunization.location.required',
    section: '§4',
    check: ({ resource }) =>
      resource.location === undefined
        ? [
            issue(
              'immunization.location.required',
              'Immunization.location',
              'Immunization.location is required, with identifier.system and identifier.value (where the vaccination took place)',
            ),
          ]
        : OK,
  },
  ...(['system', 'value'] as const).map((part): Rule => ({
    id: `immunization.location.identifier.${part}`,
    section: '§4',
    check: ({ resource }) => {
      const location = resource.location;
      if (!isObject(location)) return OK;
      const identifier = isObject(location.identifier) ? location.identifier : undefined;
      if (location.identifier !== undefined && !identifier) return OK; // wrong type: reported by the structure
      return requiredText(`immunization.location.identifier.${part}`, `Immunization.location.identifier.${part}`, identifier?.[part]);
    },
  })),
  {
    id: 'immunization.extension.vaccinationProcedure',
    section: '§4',
    check: ({ resource }) => {
      const rule = 'immunization.extension.vaccinationProcedure';
      const list = resource.extension;
      if (list === undefined)
        return [
          issue(rule, 'Immunization.extension', `Immunization.extension is required: exactly one extension, ${VACCINATION_PROCEDURE_URL}`),
        ];
      if (!Array.isArray(list) || list.length <= 1) return OK;
      return [
        issue(
          rule,
          'Immunization.extension',
          `Immunization.extension must hold exactly one extension (the VaccinationProcedure), found ${list.length}`,
        ),
      ];
    },
  },
  {
    id: 'immunization.extension.url',
    section: '§4',
    check: ({ resource }) => {
      const ext = theExtension(resource);
      if (!ext || ext.url === VACCINATION_PROCEDURE_URL) return OK;
      const got = ext.url === undefined ? 'it is missing' : `not ${show(ext.url)}`;
      return [
        issue(
          'immunization.extension.url',
          'Immunization.extension[0].url',
          `Immunization.extension[0].url must be ${VACCINATION_PROCEDURE_URL}, ${got}`,
        ),
      ];
    },
  },
  {
    id: 'immunization.extension.procedureCode',
    section: '§4',
    check: ({ resource }) => {
      const rule = 'immunization.extension.procedureCode';
      const ext = theExtension(resource);
      if (!ext) return OK;
      const base = 'Immunization.extension[0].valueCodeableConcept';
      const concept = ext.valueCodeableConcept;
      if (concept === undefined) return [issue(rule, base, `${base} is required: the SNOMED CT code of the vaccination procedure`)];
      if (!isObject(concept)) return OK;
      if (concept.coding === undefined)
        return [issue(rule, `${base}.coding`, `${base}.coding is required, with a SNOMED CT (${SNOMED_SYSTEM}) coding`)];
      if (!Array.isArray(concept.coding)) return OK;
      if (snomedCodings(concept.coding).length === 0) {
        return [
          issue(rule, `${base}.coding`, `${base}.coding must hold a coding with system ${SNOMED_SYSTEM} naming the vaccination procedure`),
        ];
      }
      return conceptIdIssues(rule, `${base}.coding`, concept.coding);
    },
  },
  {
    id: 'immunization.extension.procedureDisplay',
    section: '§4',
    check: ({ resource }) => {
      const concept = theExtension(resource)?.valueCodeableConcept;
      if (!isObject(concept)) return OK;
      const base = 'Immunization.extension[0].valueCodeableConcept.coding';
      return snomedCodings(concept.coding).flatMap(({ coding, index }) =>
        coding.display === undefined
          ? []
          : requiredText('immunization.extension.procedureDisplay', `${base}[${index}].display`, coding.display),
      );
    },
  },
  ...vaccineRules,
];
