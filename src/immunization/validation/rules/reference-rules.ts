import { isNonBlankString, isObject, show } from '../json';
import { OK, issue, memo, requiredText, type Rule, type RuleInput } from '../rule';
import type { ValidationIssue } from '../validation-issue';

const ORGANIZATION = 'Organization';

function performers(resource: Record<string, unknown>): unknown[] | undefined {
  return Array.isArray(resource.performer) ? resource.performer : undefined;
}

function actorOf(entry: unknown): Record<string, unknown> | undefined {
  return isObject(entry) && isObject(entry.actor) ? entry.actor : undefined;
}

/** Indexes of the performers whose actor.type is Organization. */
function organizationIndexes(input: RuleInput): number[] {
  return memo(input, 'organizationIndexes', () => {
    const list = performers(input.resource) ?? [];
    const found: number[] = [];
    for (let i = 0; i < list.length; i++) if (actorOf(list[i])?.type === ORGANIZATION) found.push(i);
    return found;
  });
}

/** The index of the one Organization performer, or -1 when there is not exactly one. */
function organizationIndex(input: RuleInput): number {
  const found = organizationIndexes(input);
  return found.length === 1 ? found[0] : -1;
}

/** Ids of every contained Practitioner (a performer's `#` reference may point only to one of them). */
function practitionerIds(input: RuleInput): string[] {
  return memo(input, 'practitionerIds', () => {
    const contained = input.resource.contained;
    const ids: string[] = [];
    if (Array.isArray(contained)) {
      for (const r of contained) if (isObject(r) && r.resourceType === 'Practitioner' && typeof r.id === 'string') ids.push(r.id);
    }
    return ids;
  });
}

function organizationIdentifierRule(part: 'system' | 'value'): Rule {
  const id = `immunization.performer.organization.identifier.${part}`;
  return {
    id,
    section: '§2',
    check: (input) => {
      const i = organizationIndex(input);
      if (i < 0) return OK;
      const identifier = actorOf(performers(input.resource)?.[i])?.identifier;
      const value = isObject(identifier) ? identifier[part] : undefined;
      return requiredText(
        id,
        () => `Immunization.performer[${i}].actor.identifier.${part}`,
        value,
        ' (the ODS code of the organisation responsible)',
      );
    },
  };
}

/** §2: the patient reference, the responsible organisation and the practitioner reference. */
export const referenceRules: Rule[] = [
  {
    id: 'immunization.patient.reference',
    section: '§2',
    check: ({ resource, patient }: RuleInput) => {
      const rule = 'immunization.patient.reference';
      const target = patient && typeof patient.node.id === 'string' ? `#${patient.node.id}` : undefined;
      const expected = target ? `'${target}'` : "'#<id of the contained Patient>'";
      if (resource.patient === undefined) {
        return [issue(rule, 'Immunization.patient', `Immunization.patient is required: a reference ${expected} to the contained Patient`)];
      }
      if (!isObject(resource.patient)) return [issue(rule, 'Immunization.patient', 'Immunization.patient must be a Reference object')];
      const ref = resource.patient.reference;
      const path = 'Immunization.patient.reference';
      if (typeof ref !== 'string') return [issue(rule, path, `${path} is required and must be ${expected}, the contained Patient`)];
      const ok = target !== undefined ? ref === target : ref.startsWith('#');
      return ok ? OK : [issue(rule, path, `${path} must be ${expected}, a reference to the contained Patient, not ${show(ref)}`)];
    },
  },
  {
    id: 'immunization.performer.organization',
    section: '§2',
    check: (input) => {
      const rule = 'immunization.performer.organization';
      const what = 'exactly one performer whose actor.type is "Organization" (the organisation responsible)';
      if (input.resource.performer === undefined)
        return [issue(rule, 'Immunization.performer', `Immunization.performer is required: it must hold ${what}`)];
      if (!performers(input.resource)) return OK;
      const n = organizationIndexes(input).length;
      return n === 1
        ? OK
        : [issue(rule, 'Immunization.performer', `Immunization.performer must hold ${what}, found ${n === 0 ? 'none' : n}`)];
    },
  },
  organizationIdentifierRule('system'),
  organizationIdentifierRule('value'),
  {
    id: 'immunization.performer.reference.contained',
    section: '§2',
    check: (input) => {
      const { resource } = input;
      // Without contained resources there is nothing to resolve against (contained.required says so).
      if (!Array.isArray(resource.contained) || resource.contained.length === 0) return OK;
      const ids = practitionerIds(input);
      const out: ValidationIssue[] = [];
      (performers(resource) ?? []).forEach((entry, i) => {
        const ref = actorOf(entry)?.reference;
        if (typeof ref !== 'string' || !ref.startsWith('#') || ids.includes(ref.slice(1))) return;
        const path = `Immunization.performer[${i}].actor.reference`;
        const known = ids.length > 0 ? `'#${ids[0]}'` : 'a contained Practitioner (there is none)';
        out.push(
          issue(
            'immunization.performer.reference.contained',
            path,
            `${path} ${show(ref)} is a local reference that does not point to the contained Practitioner: a '#' reference in performer may only be ${known}`,
          ),
        );
      });
      return out;
    },
  },
  {
    id: 'immunization.performer.practitioner.referencedOnce',
    section: '§2',
    check: (input) => {
      const rule = 'immunization.performer.practitioner.referencedOnce';
      const { practitioner } = input;
      const list = performers(input.resource);
      if (!list || !practitioner || !isNonBlankString(practitioner.node.id) || practitionerIds(input).length !== 1) return OK;
      const target = `#${practitioner.node.id}`;
      const refs: number[] = [];
      for (let i = 0; i < list.length; i++) if (actorOf(list[i])?.reference === target) refs.push(i);
      if (refs.length === 1) return OK;
      if (refs.length === 0) {
        return [
          issue(
            rule,
            'Immunization.performer',
            `The contained Practitioner must be referenced by exactly one Immunization.performer (actor.reference '${target}'), found none`,
          ),
        ];
      }
      const path = `Immunization.performer[${refs[1]}].actor.reference`;
      return [
        issue(
          rule,
          path,
          `The contained Practitioner must be referenced by exactly one Immunization.performer, but '${target}' appears ${refs.length} times`,
        ),
      ];
    },
  },
];
