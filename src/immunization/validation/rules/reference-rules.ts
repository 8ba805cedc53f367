import { isNonBlankString, isObject, show } from '../json';
import { OK, issue, requiredText, type Rule, type RuleInput } from '../rule';
import type { ValidationIssue } from '../validation-issue';

const ORGANIZATION = 'Organization';

function performers(resource: Record<string, unknown>): unknown[] | undefined {
  return Array.isArray(resource.performer) ? resource.performer : undefined;
}

function actorOf(entry: unknown): Record<string, unknown> | undefined {
  return isObject(entry) && isObject(entry.actor) ? entry.actor : undefined;
}

/** The index of the one performer whose actor.type is Organization, or -1 when there is not exactly one. */
function organizationIndex(resource: Record<string, unknown>): number {
  const list = performers(resource) ?? [];
  const found = list.flatMap((e, i) => (actorOf(e)?.type === ORGANIZATION ? [i] : []));
  return found.length === 1 ? found[0] : -1;
}

/** Ids of every contained Practitioner (a performer's `#` reference may point only to one of them). */
function practitionerIds(resource: Record<string, unknown>): Set<string> {
  const ids = new Set<string>();
  if (Array.isArray(resource.contained)) {
    for (const r of resource.contained) if (isObject(r) && r.resourceType === 'Practitioner' && typeof r.id === 'string') ids.add(r.id);
  }
  return ids;
}

function organizationIdentifierRule(part: 'system' | 'value'): Rule {
  const id = `immunization.performer.organization.identifier.${part}`;
  return {
    id,
    section: '§2',
    check: ({ resource }) => {
      const i = organizationIndex(resource);
      if (i < 0) return OK;
      const identifier = actorOf(performers(resource)?.[i])?.identifier;
      const value = isObject(identifier) ? identifier[part] : undefined;
      return requiredText(id, `Immunization.performer[${i}].actor.identifier.${part}`, value, ' (the ODS code of the organisation responsible)');
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
    check: ({ resource }) => {
      const rule = 'immunization.performer.organization';
      const what = 'exactly one performer whose actor.type is "Organization" (the organisation responsible)';
      if (resource.performer === undefined) return [issue(rule, 'Immunization.performer', `Immunization.performer is required: it must hold ${what}`)];
      const list = performers(resource);
      if (!list) return OK;
      const n = list.filter((e) => actorOf(e)?.type === ORGANIZATION).length;
      return n === 1 ? OK : [issue(rule, 'Immunization.performer', `Immunization.performer must hold ${what}, found ${n === 0 ? 'none' : n}`)];
    },
  },
  organizationIdentifierRule('system'),
  organizationIdentifierRule('value'),
  {
    id: 'immunization.performer.reference.contained',
    section: '§2',
    check: ({ resource }) => {
      // Without contained resources there is nothing to resolve against (contained.required says so).
      if (!Array.isArray(resource.contained) || resource.contained.length === 0) return OK;
      const ids = practitionerIds(resource);
      const out: ValidationIssue[] = [];
      (performers(resource) ?? []).forEach((entry, i) => {
        const ref = actorOf(entry)?.reference;
        if (typeof ref !== 'string' || !ref.startsWith('#') || ids.has(ref.slice(1))) return;
        const path = `Immunization.performer[${i}].actor.reference`;
        const known = ids.size > 0 ? `'#${[...ids][0]}'` : 'a contained Practitioner (there is none)';
        out.push(issue('immunization.performer.reference.contained', path, `${path} ${show(ref)} is a local reference that does not point to the contained Practitioner: a '#' reference in performer may only be ${known}`));
      });
      return out;
    },
  },
  {
    id: 'immunization.performer.practitioner.referencedOnce',
    section: '§2',
    check: ({ resource, practitioner }) => {
      const rule = 'immunization.performer.practitioner.referencedOnce';
      const list = performers(resource);
      if (!list || !practitioner || !isNonBlankString(practitioner.node.id) || practitionerIds(resource).size !== 1) return OK;
      const target = `#${practitioner.node.id}`;
      const refs = list.flatMap((e, i) => (actorOf(e)?.reference === target ? [i] : []));
      if (refs.length === 1) return OK;
      if (refs.length === 0) {
        return [issue(rule, 'Immunization.performer', `The contained Practitioner must be referenced by exactly one Immunization.performer (actor.reference '${target}'), found none`)];
      }
      const path = `Immunization.performer[${refs[1]}].actor.reference`;
      return [issue(rule, path, `The contained Practitioner must be referenced by exactly one Immunization.performer, but '${target}' appears ${refs.length} times`)];
    },
  },
];
