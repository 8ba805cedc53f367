import { SNOMED_SYSTEM, VaccineType } from '../../../kernel/terminology';
import { writtenAsDecimal } from '../../../fhir/integer-tokens';
import { isObject, show } from '../json';
import { OK, issue, memo, requiredText, type Rule, type RuleInput } from '../rule';
import type { ValidationIssue } from '../validation-issue';
import { conceptIdIssues, snomedCodings } from './snomed-codings';

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

/** §4: what was given and against what: the vaccine product and protocolApplied (target diseases, dose). */
export const vaccineRules: Rule[] = [
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
