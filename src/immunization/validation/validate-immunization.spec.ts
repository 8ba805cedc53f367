import { ALL_CASES } from '../../../test/fixtures/validation/all.cases';
import { all, push, seed, seedWith, set, unset, type Body } from '../../../test/fixtures/validation/mutate';
import { notValidatedCases } from '../../../test/fixtures/validation/not-validated.cases';
import { NOW, PATIENT, runCases } from '../../../test/fixtures/validation/rule-cases';
import { updateCases } from '../../../test/fixtures/validation/update.cases';
import { STRUCTURE_RULES } from './fhir-structure';
import { IMMUNIZATION_RULES } from './rules/immunization-rules';
import { validateImmunization, warmUpValidation, type ValidationIssue } from './validate-immunization';

const create = { mode: 'create', now: NOW } as const;

describe('validateImmunization', () => {
  it('can compile the structural validator ahead of the first request', () => {
    expect(warmUpValidation()).toBeGreaterThan(0);
  });

  it('accepts the seed: the OpenAPI request example for create', () => {
    expect(validateImmunization(seed(), create)).toEqual([]);
  });

  it('accepts the seed with the real clock (now defaults to the current time)', () => {
    expect(validateImmunization(seed(), { mode: 'create' })).toEqual([]);
  });

  it('reports several problems at once, one issue each, in rule order (structure first)', () => {
    const body = seedWith(
      set('lotNumber', ''), // §1 structure
      set('note', [{ text: 'x' }]), // §1 allow-list
      set('status', 'not-done'), // §4
      set('Patient.birthDate', '2099-01-01'), // §3
      set('patient.reference', '#nobody'), // §2
      set('site.coding[0].display', ' '), // §5
      set('id', 'abc'), // §1 id on create
    );
    const issues = validateImmunization(body, create);
    expect(issues.map((i) => i.rule)).toEqual([
      'immunization.element.allowed',
      'structure.empty',
      'immunization.id.absentOnCreate',
      'immunization.patient.reference',
      'patient.birthDate.notFuture',
      'immunization.status',
      'immunization.site.coding.snomedDisplay',
    ]);
    expect(issues.map((i) => i.expression)).toEqual([
      'Immunization.note',
      'Immunization.lotNumber',
      'Immunization.id',
      'Immunization.patient.reference',
      `${PATIENT}.birthDate`,
      'Immunization.status',
      'Immunization.site.coding[0].display',
    ]);
    expect(validateImmunization(body, create)).toEqual(issues); // stable
  });

  it('says a future occurrenceDateTime is in the future', () => {
    const issues = validateImmunization(seedWith(set('occurrenceDateTime', '2026-06-16T09:00:00+01:00')), create);
    expect(issues).toEqual([
      {
        rule: 'immunization.occurrenceDateTime.notFuture',
        expression: 'Immunization.occurrenceDateTime',
        diagnostics: 'Immunization.occurrenceDateTime "2026-06-16T09:00:00+01:00" is in the future: it must not be later than now',
      },
    ]);
  });

  it('reports an empty second site coding as an issue, not an exception', () => {
    const body = seedWith(push('site.coding', {}));
    expect(() => validateImmunization(body, create)).not.toThrow();
    expect(validateImmunization(body, create)).toEqual([
      expect.objectContaining({ expression: 'Immunization.site.coding[1]', diagnostics: expect.stringContaining('empty object') }),
    ]);
  });

  it('reports contained that is not an array as an issue', () => {
    expect(validateImmunization(seedWith(set('contained', 'Patient')), create)).toEqual([
      expect.objectContaining({ rule: 'structure.type', expression: 'Immunization.contained' }),
    ]);
  });

  it('does not change the body it validates', () => {
    const body = seedWith(push('site.coding', {}), unset('status'));
    const copy = structuredClone(body);
    validateImmunization(body, create);
    expect(body).toEqual(copy);
  });

  it('writes diagnostics for the contained Patient the way clients read them', () => {
    const [issue] = validateImmunization(seedWith(set('Patient.birthDate', '2099-01-01')), create);
    expect(issue.expression).toBe("Immunization.contained.where(resourceType='Patient').birthDate");
    expect(issue.diagnostics).toBe('contained Patient.birthDate 2099-01-01 is in the future: a birth date must not be after today');
  });

  describe('§6 deliberately not validated', () => runCases(notValidatedCases));
  describe('§7 update mode', () => runCases(updateCases));
});

describe('the case tables cover every rule', () => {
  const ruleIds = [...STRUCTURE_RULES, ...IMMUNIZATION_RULES.map((r) => r.id)];
  const rejected = new Set(ALL_CASES.flatMap((c) => c.expect.map((e) => e.rule)));
  const accepted = new Set(ALL_CASES.filter((c) => c.expect.length === 0).flatMap((c) => [c.accepts ?? []].flat()));

  it('has unique rule ids', () => {
    expect(new Set(ruleIds).size).toBe(ruleIds.length);
  });

  it.each(ruleIds)('%s has a rejected example', (id) => {
    expect(rejected).toContain(id);
  });

  it.each(ruleIds)('%s has an accepted example', (id) => {
    expect(accepted).toContain(id);
  });

  it('names only rules that exist', () => {
    const known = new Set<string>(ruleIds);
    expect([...rejected, ...accepted].filter((id) => !known.has(id))).toEqual([]);
  });

  it('has at least 150 cases', () => {
    expect(ALL_CASES.length).toBeGreaterThanOrEqual(150);
  });
});

describe('robustness: never throws, whatever is put anywhere', () => {
  const ODD_VALUES: unknown[] = [null, '', ' ', 0, -1, 1.5, true, 'x', [], {}, [null], [{}], ['x'], { x: 1 }, 1e308, '2099-01-01'];

  /** Every path in the seed, as arrays of keys. */
  function paths(node: unknown, prefix: (string | number)[] = []): (string | number)[][] {
    if (node === null || typeof node !== 'object') return [];
    const entries: [string | number, unknown][] = Array.isArray(node) ? node.map((v, i) => [i, v]) : Object.entries(node);
    return entries.flatMap(([k, v]) => [[...prefix, k], ...paths(v, [...prefix, k])]);
  }

  function replaced(path: (string | number)[], value: unknown): Body {
    const body = seed();
    let node: any = body; // eslint-disable-line @typescript-eslint/no-explicit-any
    for (const k of path.slice(0, -1)) node = node[k];
    const last = path[path.length - 1];
    if (value === undefined) {
      if (Array.isArray(node)) node.splice(last as number, 1);
      else delete node[last];
    } else node[last] = structuredClone(value);
    return body;
  }

  const allPaths = paths(seed());

  it('walks a meaningful number of paths', () => {
    expect(allPaths.length).toBeGreaterThan(100);
  });

  it.each(allPaths.map((p) => [p.join('.'), p] as const))('survives any value at %s', (_name, path) => {
    for (const value of [...ODD_VALUES, undefined]) {
      const body = replaced(path, value);
      let issues: ValidationIssue[] = [];
      expect(() => {
        issues = validateImmunization(body, create);
      }).not.toThrow();
      for (const issue of issues) {
        expect(issue.expression).toMatch(/^Immunization/);
        expect(issue.diagnostics.length).toBeGreaterThan(10);
        expect(issue.rule).toMatch(/^[a-z]+(\.[A-Za-z]+)+$/);
      }
    }
  });

  it.each([
    [undefined],
    [null],
    [[]],
    ['{}'],
    [42],
    [true],
    [{}],
    [{ resourceType: 'Immunization' }],
    [{ resourceType: 'Immunization', contained: [null, 1, 'x', [], {}] }],
  ])('survives the whole body %j', (body) => {
    expect(() => validateImmunization(body, create)).not.toThrow();
    expect(validateImmunization(body, create).length).toBeGreaterThan(0);
  });

  it.each(['__proto__', 'constructor', 'hasOwnProperty'])('treats a "%s" key from JSON.parse as an unknown element', (key) => {
    const body = JSON.parse(
      JSON.stringify(seed()).replace(
        '{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"X99999"}',
        `{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"X99999","${key}":{"x":1}}`,
      ),
    );
    expect(validateImmunization(body, create)).toEqual([
      expect.objectContaining({ rule: 'structure.unknownElement', expression: `Immunization.location.identifier.${key}` }),
    ]);
  });

  it('reports every required element of an empty Immunization', () => {
    const rules = validateImmunization({ resourceType: 'Immunization' }, create).map((i) => i.rule);
    expect(rules).toEqual([
      'contained.required',
      'immunization.patient.reference',
      'immunization.performer.organization',
      'immunization.status',
      'immunization.identifier.single',
      'immunization.occurrenceDateTime.required',
      'immunization.recorded.required',
      'immunization.primarySource',
      'immunization.location.required',
      'immunization.extension.vaccinationProcedure',
      'immunization.vaccineCode.required',
      'immunization.protocolApplied.single',
    ]);
  });

  it('validates an update body the same way (all mutations keep working in update mode)', () => {
    const body = seedWith(all(set('id', 'abc'), set('lotNumber', '')));
    expect(validateImmunization(body, { mode: 'update', pathId: 'abc', now: NOW }).map((i) => i.rule)).toEqual(['structure.empty']);
  });
});
