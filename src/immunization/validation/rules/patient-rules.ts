import { NHS_NUMBER_SYSTEM, NhsNumber } from '../../../kernel/terminology';
import { isRealDate, momentSpan, ukToday } from '../fhir-date';
import { isObject, show } from '../json';
import { selectedNameIndex } from '../patient-name';
import { OK, issue, label, memo, requiredText, type Located, type Rule, type RuleInput } from '../rule';
import type { ValidationIssue } from '../validation-issue';

const GENDERS = new Set(['male', 'female', 'other', 'unknown']);
const MAX_FAMILY = 35;
const MAX_GIVEN_COUNT = 5;
const MAX_GIVEN = 180;

/** Length in characters (code points), not UTF-16 units. */
const length = (s: string) => [...s].length;

/** A rule on the contained Patient; silent when there is none (contained.patient.exactlyOne says so). */
function patientRule(id: string, check: (patient: Located, input: RuleInput) => readonly ValidationIssue[]): Rule {
  return { id, section: '§3', check: (input) => (input.patient ? check(input.patient, input) : OK) };
}

/** The single identifier, when `identifier` is an array of exactly one object. */
function singleIdentifier(p: Located): Record<string, unknown> | undefined {
  const list = p.node.identifier;
  return Array.isArray(list) && list.length === 1 && isObject(list[0]) ? list[0] : undefined;
}

/** The name the rules apply to, with its index, or undefined when `name` is not a non-empty array. */
function selectedName(p: Located, input: RuleInput): { name: unknown; index: number } | null {
  return memo(input, 'selectedName', () => {
    const names = p.node.name;
    if (!Array.isArray(names) || names.length === 0) return null;
    const t = input.now.getTime();
    const index = selectedNameIndex(names, input.occurrence ? momentSpan(input.occurrence) : { low: t, high: t });
    return { name: names[index], index };
  });
}

/** §3: the contained Patient. */
export const patientRules: Rule[] = [
  patientRule('patient.identifier.single', (p) => {
    const list = p.node.identifier;
    if (!Array.isArray(list) || list.length <= 1) return OK;
    const path = `${p.path}.identifier`;
    return [
      issue('patient.identifier.single', path, `${label(path)} must hold exactly one identifier (the NHS number), found ${list.length}`),
    ];
  }),
  patientRule('patient.identifier.noExtension', (p) => {
    const identifier = singleIdentifier(p);
    if (identifier?.extension === undefined) return OK;
    const path = `${p.path}.identifier[0].extension`;
    return [issue('patient.identifier.noExtension', path, `${label(path)} is not allowed: send the NHS number without extensions`)];
  }),
  patientRule('patient.identifier.system', (p) => {
    const identifier = singleIdentifier(p);
    if (!identifier || identifier.system === NHS_NUMBER_SYSTEM) return OK;
    const path = `${p.path}.identifier[0].system`;
    const got = identifier.system === undefined ? 'it is missing' : `not ${show(identifier.system)}`;
    return [issue('patient.identifier.system', path, `${label(path)} must be ${NHS_NUMBER_SYSTEM}, ${got}`)];
  }),
  patientRule('patient.identifier.value', (p) => {
    const identifier = singleIdentifier(p);
    if (!identifier) return OK;
    const path = `${p.path}.identifier[0].value`;
    if (identifier.value === undefined)
      return [issue('patient.identifier.value', path, `${label(path)} is required: the patient's NHS number`)];
    const problem = NhsNumber.problem(identifier.value);
    return problem ? [issue('patient.identifier.value', path, `${label(path)} ${show(identifier.value)} ${problem}`)] : OK;
  }),
  patientRule('patient.name.required', (p) =>
    p.node.name === undefined ? [issue('patient.name.required', `${p.path}.name`, `${label(p.path)}.name is required`)] : OK,
  ),
  patientRule('patient.name.family', (p, input) => {
    const selected = selectedName(p, input);
    if (!selected || !isObject(selected.name)) return OK;
    const path = () => `${p.path}.name[${selected.index}].family`;
    const family = selected.name.family;
    const missing = requiredText('patient.name.family', path, family);
    if (missing.length > 0 || typeof family !== 'string') return missing;
    const n = family.length <= MAX_FAMILY ? family.length : length(family);
    return n > MAX_FAMILY
      ? [issue('patient.name.family', path(), `${label(path())} must be at most ${MAX_FAMILY} characters, it has ${n}`)]
      : OK;
  }),
  patientRule('patient.name.given', (p, input) => {
    const rule = 'patient.name.given';
    const selected = selectedName(p, input);
    if (!selected || !isObject(selected.name)) return OK;
    const path = `${p.path}.name[${selected.index}].given`;
    const given = selected.name.given;
    if (given === undefined) return [issue(rule, path, `${label(path)} is required: 1 to ${MAX_GIVEN_COUNT} given names`)];
    if (!Array.isArray(given)) return [issue(rule, path, `${label(path)} must be an array of 1 to ${MAX_GIVEN_COUNT} given names`)];
    if (given.length > MAX_GIVEN_COUNT) {
      return [issue(rule, path, `${label(path)} may hold at most ${MAX_GIVEN_COUNT} given names, it has ${given.length}`)];
    }
    const out: ValidationIssue[] = [];
    for (let j = 0; j < given.length; j++) {
      const g: unknown = given[j];
      if (typeof g === 'string' && g.trim() !== '') {
        if (g.length > MAX_GIVEN && length(g) > MAX_GIVEN) {
          out.push(issue(rule, `${path}[${j}]`, `${label(`${path}[${j}]`)} must be at most ${MAX_GIVEN} characters, it has ${length(g)}`));
        }
      } else out.push(...requiredText(rule, `${path}[${j}]`, g));
    }
    return out;
  }),
  patientRule('patient.gender', (p) => {
    const path = `${p.path}.gender`;
    const gender = p.node.gender;
    if (gender === undefined) return [issue('patient.gender', path, `${label(path)} is required: male, female, other or unknown`)];
    if (typeof gender === 'string' && GENDERS.has(gender)) return OK;
    return [issue('patient.gender', path, `${label(path)} must be one of male, female, other, unknown (lower case), not ${show(gender)}`)];
  }),
  patientRule('patient.birthDate.required', (p) =>
    p.node.birthDate === undefined
      ? [issue('patient.birthDate.required', `${p.path}.birthDate`, `${label(p.path)}.birthDate is required (YYYY-MM-DD)`)]
      : OK,
  ),
  patientRule('patient.birthDate.format', (p) => {
    const value = p.node.birthDate;
    if (value === undefined || isRealDate(value)) return OK;
    const path = `${p.path}.birthDate`;
    return [issue('patient.birthDate.format', path, `${label(path)} must be a real calendar date written YYYY-MM-DD, not ${show(value)}`)];
  }),
  patientRule('patient.birthDate.notFuture', (p, { now }) => {
    const value = p.node.birthDate;
    if (!isRealDate(value) || value <= ukToday(now)) return OK;
    const path = `${p.path}.birthDate`;
    return [issue('patient.birthDate.notFuture', path, `${label(path)} ${value} is in the future: a birth date must not be after today`)];
  }),
  patientRule('patient.address.required', (p) =>
    p.node.address === undefined
      ? [issue('patient.address.required', `${p.path}.address`, `${label(p.path)}.address is required, with a postalCode`)]
      : OK,
  ),
  patientRule('patient.address.postalCode', (p) => {
    const addresses = p.node.address;
    if (!Array.isArray(addresses) || addresses.length === 0) return OK;
    if (addresses.some((a) => isObject(a) && typeof a.postalCode === 'string' && a.postalCode.trim() !== '')) return OK;
    const path = addresses.length === 1 ? `${p.path}.address[0].postalCode` : `${p.path}.address.postalCode`;
    return [issue('patient.address.postalCode', path, `${label(p.path)}.address: at least one address must have a non-empty postalCode`)];
  }),
];
