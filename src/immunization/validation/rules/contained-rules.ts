import { containedPath, pathOf } from '../fhir-path';
import { isObject, show } from '../json';
import { OK, issue, label, requiredText, type Rule } from '../rule';
import type { ValidationIssue } from '../validation-issue';

const ALLOWED = new Set(['Patient', 'Practitioner']);
const PATIENT_SET = "Immunization.contained.where(resourceType='Patient')";
const PRACTITIONER_SET = "Immunization.contained.where(resourceType='Practitioner')";

function containedArray(resource: Record<string, unknown>): unknown[] | undefined {
  return Array.isArray(resource.contained) && resource.contained.length > 0 ? resource.contained : undefined;
}

function countOf(contained: unknown[], type: string): number {
  return contained.reduce<number>((n, r) => (isObject(r) && r.resourceType === type ? n + 1 : n), 0);
}

/** §2: `contained` holds exactly one Patient, at most one Practitioner, nothing else; ids present and unique. */
export const containedRules: Rule[] = [
  {
    id: 'contained.required',
    section: '§2',
    check: ({ resource }) =>
      resource.contained === undefined
        ? [
            issue(
              'contained.required',
              'Immunization.contained',
              'Immunization.contained is required: it must hold the Patient (and may hold the Practitioner)',
            ),
          ]
        : OK,
  },
  {
    id: 'contained.resourceTypes',
    section: '§2',
    check: ({ resource }) => {
      const contained = containedArray(resource);
      if (!contained) return OK;
      const out: ValidationIssue[] = [];
      contained.forEach((entry, i) => {
        const type = isObject(entry) ? entry.resourceType : undefined;
        if (typeof type === 'string' && ALLOWED.has(type)) return;
        const what = !isObject(entry)
          ? 'is not a resource'
          : type === undefined
            ? 'has no resourceType'
            : `is a resource of type ${show(type)}`;
        out.push(
          issue(
            'contained.resourceTypes',
            `Immunization.contained[${i}]`,
            `Immunization.contained[${i}] ${what}: only a Patient and a Practitioner may be contained`,
          ),
        );
      });
      return out;
    },
  },
  {
    id: 'contained.patient.exactlyOne',
    section: '§2',
    check: ({ resource }) => {
      const contained = containedArray(resource);
      if (!contained) return OK;
      const n = countOf(contained, 'Patient');
      if (n === 1) return OK;
      return [
        issue(
          'contained.patient.exactlyOne',
          PATIENT_SET,
          `Immunization.contained must hold exactly one Patient, found ${n === 0 ? 'none' : n}`,
        ),
      ];
    },
  },
  {
    id: 'contained.practitioner.atMostOne',
    section: '§2',
    check: ({ resource }) => {
      const contained = containedArray(resource);
      const n = contained ? countOf(contained, 'Practitioner') : 0;
      return n > 1
        ? [
            issue(
              'contained.practitioner.atMostOne',
              PRACTITIONER_SET,
              `Immunization.contained may hold at most one Practitioner, found ${n}`,
            ),
          ]
        : OK;
    },
  },
  {
    id: 'contained.id.required',
    section: '§2',
    check: ({ resource }) => {
      const contained = containedArray(resource);
      if (!contained) return OK;
      const out: ValidationIssue[] = [];
      contained.forEach((entry, i) => {
        if (!isObject(entry) || !ALLOWED.has(entry.resourceType as string) || typeof entry.id === 'string') return;
        const path = `${containedPath(resource, i)}.id`;
        out.push(
          ...requiredText(
            'contained.id.required',
            path,
            entry.id,
            `: it is how the Immunization references the ${String(entry.resourceType)} ('#<id>')`,
          ),
        );
      });
      return out;
    },
  },
  {
    id: 'contained.id.unique',
    section: '§2',
    check: ({ resource }) => {
      const contained = containedArray(resource);
      if (!contained) return OK;
      const out: ValidationIssue[] = [];
      const firstIndex = new Map<string, number>();
      contained.forEach((entry, i) => {
        if (!isObject(entry) || typeof entry.id !== 'string') return;
        const first = firstIndex.get(entry.id);
        if (first === undefined) return void firstIndex.set(entry.id, i);
        const path = pathOf(resource, ['contained', i, 'id']);
        out.push(
          issue(
            'contained.id.unique',
            path,
            `${label(path)} ${show(entry.id)} is already used by Immunization.contained[${first}]: contained ids must be unique`,
          ),
        );
      });
      return out;
    },
  },
];
