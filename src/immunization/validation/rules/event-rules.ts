import { SNOMED_SYSTEM, SnomedConceptId, VaccineType } from '../../../kernel/terminology';
import { isInFuture, type FhirMoment } from '../fhir-date';
import { writtenAsDecimal } from '../../../fhir/integer-tokens';
import { isObject, show } from '../json';
import { OK, issue, memo, requiredText, type Rule, type RuleInput } from '../rule';
import type { ValidationIssue } from '../validation-issue';

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

function snomedCodings(codings: unknown): { coding: Record<string, unknown>; index: number }[] {
  const out: { coding: Record<string, unknown>; index: number }[] = [];
  if (!Array.isArray(codings)) return out;
  for (let index = 0; index < codings.length; index++) {
    const c: unknown = codings[index];
    if (isObject(c) && c.system === SNOMED_SYSTEM) out.push({ coding: c, index });
  }
  return out;
}

function conceptIdIssues(rule: string, codingsPath: string, codings: unknown): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  for (const { coding, index } of snomedCodings(codings)) {
    const problem = coding.code === undefined ? null : SnomedConceptId.problem(coding.code);
    if (coding.code !== undefined && problem === null) continue;
    const path = `${codingsPath}[${index}].code`;
    out.push(
      problem === null
        ? issue(rule, path, `${path} is required on a SNOMED CT coding`)
        : issue(rule, path, `${path} ${show(coding.code)} is not a valid SNOMED CT concept id: it ${problem}`),
    );
  }
  return out;
}

/** The single extension, when `extension` is an array of exactly one object. */
function theExtension(resource: Record<string, unknown>): Record<string, unknown> | undefined {
  const list = resource.extension;
  return Array.isArray(list) && list.length === 1 && isObject(list[0]) ? list[0] : undefined;
}

/** protocolApplied[0], when it is an object. */
function protocol(resource: Record<string, unknown>): Record<string, unknown> | undefined {
  const list = resource.protocolApplied;
  return Array.isArray(list) && isObject(list[0]) ? list[0] : undefined;
}

const TD = 'Immunization.protocolApplied[0].targetDisease';

/**
 * The single SNOMED code of each targetDisease element, or null for an element without exactly one
 * SNOMED coding with a non-empty code (reported by protocolApplied.targetDisease.snomedCoding).
 */
function diseaseCodes(input: RuleInput): (string | null)[] | null {
  return memo(input, 'diseaseCodes', () => {
    const diseases = protocol(input.resource)?.targetDisease;
    if (!Array.isArray(diseases)) return null;
    return diseases.map((d) => {
      const snomed = isObject(d) ? snomedCodings(d.coding) : [];
      const code = snomed.length === 1 ? snomed[0].coding.code : undefined;
      return typeof code === 'string' && code.trim() !== '' ? code : null;
    });
  });
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
  {
    id: 'immunization.vaccineCode.required',
    section: '§4',
    check: ({ resource }) =>
      resource.vaccineCode === undefined
        ? [
            issue(
              'immunization.vaccineCode.required',
              'Immunization.vaccineCode',
              'Immunization.vaccineCode is required: the vaccine product (SNOMED CT), or a NullFlavor code such as UNK',
            ),
          ]
        : OK,
  },
  {
    id: 'immunization.vaccineCode.snomedCode',
    section: '§4',
    check: ({ resource }) =>
      isObject(resource.vaccineCode)
        ? conceptIdIssues('immunization.vaccineCode.snomedCode', 'Immunization.vaccineCode.coding', resource.vaccineCode.coding)
        : OK,
  },
  {
    id: 'immunization.protocolApplied.single',
    section: '§4',
    check: ({ resource }) => {
      const list = resource.protocolApplied;
      const rule = 'immunization.protocolApplied.single';
      if (list === undefined)
        return [
          issue(
            rule,
            'Immunization.protocolApplied',
            'Immunization.protocolApplied is required: exactly one, with targetDisease and a dose number',
          ),
        ];
      if (!Array.isArray(list) || list.length <= 1) return OK;
      return [
        issue(rule, 'Immunization.protocolApplied', `Immunization.protocolApplied must hold exactly one element, found ${list.length}`),
      ];
    },
  },
  {
    id: 'immunization.protocolApplied.targetDisease.required',
    section: '§4',
    check: ({ resource }) => {
      const p = protocol(resource);
      return p && p.targetDisease === undefined
        ? [
            issue(
              'immunization.protocolApplied.targetDisease.required',
              TD,
              `${TD} is required: the SNOMED CT codes of the diseases the vaccine protects against`,
            ),
          ]
        : OK;
    },
  },
  {
    id: 'immunization.protocolApplied.targetDisease.snomedCoding',
    section: '§4',
    check: ({ resource }) => {
      const rule = 'immunization.protocolApplied.targetDisease.snomedCoding';
      const diseases = protocol(resource)?.targetDisease;
      if (!Array.isArray(diseases)) return OK;
      const out: ValidationIssue[] = [];
      for (let i = 0; i < diseases.length; i++) {
        const d: unknown = diseases[i];
        if (!isObject(d)) continue;
        const path = () => `${TD}[${i}].coding`;
        if (d.coding === undefined) {
          out.push(issue(rule, path(), `${path()} is required: one SNOMED CT coding of the disease`));
          continue;
        }
        if (!Array.isArray(d.coding)) continue;
        const snomed = snomedCodings(d.coding);
        if (snomed.length !== 1) {
          out.push(
            issue(
              rule,
              path(),
              `${path()} must hold exactly one coding with system ${SNOMED_SYSTEM}, found ${snomed.length === 0 ? 'none' : snomed.length}`,
            ),
          );
        } else {
          out.push(...requiredText(rule, () => `${path()}[${snomed[0].index}].code`, snomed[0].coding.code));
        }
      }
      return out;
    },
  },
  {
    id: 'immunization.protocolApplied.targetDisease.unique',
    section: '§4',
    check: (input) => {
      const codes = diseaseCodes(input) ?? [];
      const out: ValidationIssue[] = [];
      codes.forEach((code, i) => {
        const first = code === null ? -1 : codes.indexOf(code);
        if (first >= 0 && first < i) {
          out.push(
            issue(
              'immunization.protocolApplied.targetDisease.unique',
              `${TD}[${i}]`,
              `${TD}[${i}] repeats disease ${code} (already in targetDisease[${first}]): each disease may appear once`,
            ),
          );
        }
      });
      return out;
    },
  },
  {
    id: 'immunization.protocolApplied.targetDisease.vaccineType',
    section: '§4',
    check: (input) => {
      const codes = diseaseCodes(input);
      // Only a complete set can be matched; incomplete elements have their own issues.
      if (!codes || codes.length === 0 || codes.includes(null)) return OK;
      const known = codes as string[];
      if (VaccineType.fromDiseaseCodes(known) !== null) return OK;
      const candidates = [...new Set(known.flatMap((c) => VaccineType.coveringDisease(c)))].sort();
      const hint =
        candidates.length > 0
          ? `; vaccine types covering them: ${candidates.map((t) => `${t} (${VaccineType.diseasesOf(t).join(', ')})`).join('; ')}`
          : '; none of them is a target disease of any vaccine type';
      const sorted = [...new Set(known)].sort().join(', ');
      return [
        issue(
          'immunization.protocolApplied.targetDisease.vaccineType',
          TD,
          `${TD} codes {${sorted}} must be exactly the disease set of one vaccine type${hint}`,
        ),
      ];
    },
  },
  {
    id: 'immunization.protocolApplied.doseNumber.choice',
    section: '§1',
    check: ({ resource }) => {
      const p = protocol(resource);
      if (!p) return OK;
      const sent = ['doseNumberPositiveInt', 'doseNumberString'].filter((k) => p[k] !== undefined);
      if (sent.length === 1) return OK;
      const path = 'Immunization.protocolApplied[0].doseNumber';
      return [
        issue(
          'immunization.protocolApplied.doseNumber.choice',
          path,
          sent.length === 0
            ? `${path}[x] is required: send doseNumberPositiveInt (1 to 9) or doseNumberString`
            : `${path}[x]: send only one of doseNumberPositiveInt and doseNumberString, not both`,
        ),
      ];
    },
  },
  {
    id: 'immunization.protocolApplied.doseNumberPositiveInt.range',
    section: '§4',
    check: ({ resource }) => {
      const v = protocol(resource)?.doseNumberPositiveInt;
      const path = 'Immunization.protocolApplied[0].doseNumberPositiveInt';
      // `1.0` parses to 1: the body reader noted how the number was written (fhir/integer-tokens.ts).
      if (typeof v === 'number' && Number.isInteger(v) && writtenAsDecimal(resource, 'doseNumberPositiveInt')) {
        return [
          issue(
            'immunization.protocolApplied.doseNumberPositiveInt.range',
            path,
            `${path} must be a whole number from 1 to 9 written without a decimal point or exponent (send ${v}, not a decimal)`,
          ),
        ];
      }
      if (v === undefined || (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 9)) return OK;
      return [
        issue(
          'immunization.protocolApplied.doseNumberPositiveInt.range',
          path,
          `${path} must be a whole number from 1 to 9, not ${show(v)}`,
        ),
      ];
    },
  },
  {
    id: 'immunization.protocolApplied.doseNumberString.nonEmpty',
    section: '§4',
    check: ({ resource }) => {
      const v = protocol(resource)?.doseNumberString;
      return v === undefined
        ? OK
        : requiredText('immunization.protocolApplied.doseNumberString.nonEmpty', 'Immunization.protocolApplied[0].doseNumberString', v);
    },
  },
];
