import { SNOMED_SYSTEM } from '../../../kernel/terminology';
import { isRealDate } from '../fhir-date';
import { isObject, show } from '../json';
import { OK, issue, optionalText, type Rule } from '../rule';
import type { ValidationIssue } from '../validation-issue';

const DOSE_TEXT = ['unit', 'system', 'code'] as const;

/** The codings of `site` or `route`, when it is an object holding a coding array. */
function codingsOf(resource: Record<string, unknown>, element: 'site' | 'route'): unknown[] | undefined {
  const concept = resource[element];
  return isObject(concept) && Array.isArray(concept.coding) ? concept.coding : undefined;
}

/**
 * site / route: every coding is kept as sent, so each must be sound — systems unique, and the SNOMED
 * coding's display non-empty when sent. A second, malformed coding is a 400 *(fix: was a 500)*.
 */
function codingRules(element: 'site' | 'route'): Rule[] {
  const base = `Immunization.${element}.coding`;
  return [
    {
      id: `immunization.${element}.coding.systemsUnique`,
      section: '§5',
      check: ({ resource }) => {
        const out: ValidationIssue[] = [];
        const seen = new Map<string, number>();
        (codingsOf(resource, element) ?? []).forEach((c, i) => {
          if (!isObject(c) || typeof c.system !== 'string') return;
          const first = seen.get(c.system);
          if (first === undefined) return void seen.set(c.system, i);
          out.push(
            issue(
              `immunization.${element}.coding.systemsUnique`,
              `${base}[${i}].system`,
              `${base}[${i}].system ${show(c.system)} is already used by ${element}.coding[${first}]: each code system may appear once`,
            ),
          );
        });
        return out;
      },
    },
    {
      // A SNOMED code, when sent, is non-empty already by FHIR's `code` type (no blank codes); the
      // display is a FHIR string, which may be blank, so it is checked here.
      id: `immunization.${element}.coding.snomedDisplay`,
      section: '§5',
      check: ({ resource }) => {
        const codings = codingsOf(resource, element) ?? [];
        const out: ValidationIssue[] = [];
        for (let i = 0; i < codings.length; i++) {
          const c: unknown = codings[i];
          if (isObject(c) && c.system === SNOMED_SYSTEM)
            out.push(...optionalText(`immunization.${element}.coding.snomedDisplay`, () => `${base}[${i}].display`, c.display));
        }
        return out;
      },
    },
  ];
}

/**
 * §5: optional product details, checked when present. `reasonCode[i].coding` (non-empty array,
 * non-empty codes) and SNOMED `code`s need no rule: FHIR structure already refuses empty arrays and
 * blank `code` values, with a message naming the element.
 */
export const productRules: Rule[] = [
  {
    id: 'immunization.lotNumber.nonEmpty',
    section: '§5',
    check: ({ resource }) => optionalText('immunization.lotNumber.nonEmpty', 'Immunization.lotNumber', resource.lotNumber),
  },
  {
    id: 'immunization.manufacturer.display.nonEmpty',
    section: '§5',
    check: ({ resource }) =>
      isObject(resource.manufacturer)
        ? optionalText('immunization.manufacturer.display.nonEmpty', 'Immunization.manufacturer.display', resource.manufacturer.display)
        : OK,
  },
  {
    id: 'immunization.expirationDate.format',
    section: '§5',
    check: ({ resource }) => {
      const value = resource.expirationDate;
      if (value === undefined || isRealDate(value)) return OK;
      return [
        issue(
          'immunization.expirationDate.format',
          'Immunization.expirationDate',
          `Immunization.expirationDate must be a real calendar date written YYYY-MM-DD, not ${show(value)}`,
        ),
      ];
    },
  },
  ...codingRules('site'),
  ...codingRules('route'),
  {
    id: 'immunization.doseQuantity.nonEmpty',
    section: '§5',
    check: ({ resource }) => {
      const q = resource.doseQuantity;
      if (!isObject(q)) return OK;
      const out: ValidationIssue[] = [];
      for (const part of DOSE_TEXT)
        out.push(...optionalText('immunization.doseQuantity.nonEmpty', () => `Immunization.doseQuantity.${part}`, q[part]));
      return out;
    },
  },
  {
    id: 'immunization.doseQuantity.codeNeedsSystem',
    section: '§5',
    check: ({ resource }) => {
      const q = resource.doseQuantity;
      if (!isObject(q) || q.code === undefined || q.system !== undefined) return OK;
      return [
        issue(
          'immunization.doseQuantity.codeNeedsSystem',
          'Immunization.doseQuantity.system',
          'Immunization.doseQuantity.system is required when doseQuantity.code is sent (the unit code system, e.g. http://unitsofmeasure.org)',
        ),
      ];
    },
  },
];
