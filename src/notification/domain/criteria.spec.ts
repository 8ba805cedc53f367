import { CriteriaError, matches, parseCriteria, SignalFacts } from './criteria';

const E = 'eventType=imms-vaccination-record-change-1';
const facts = (f: Partial<SignalFacts> = {}): SignalFacts => ({
  vaccineType: 'FLU',
  action: 'create',
  sourceOrganisation: 'B0C4P',
  sourceApplication: 'EMIS',
  subjectAge: 30,
  ...f,
});

describe('criteria', () => {
  it('parses every filter, with or without the Immunization? prefix', () => {
    expect(parseCriteria(E)).toEqual({});
    expect(
      parseCriteria(
        `Immunization?${E}&immunisationtype=FLU,MMR&action=CREATE,delete&sourceorganisation=b0c4p&sourceapplication=EMIS&subjectage=30&subjectage.lt=65&subjectage.gt=18`,
      ),
    ).toEqual({
      immunisationtype: ['FLU', 'MMR'],
      action: ['create', 'delete'],
      sourceorganisation: ['B0C4P'],
      sourceapplication: ['EMIS'],
      subjectage: { eq: 30, lt: 65, gt: 18 },
    });
  });

  it.each([
    [undefined, 'criteria is required'],
    ['Patient?' + E, 'must be about Immunization'],
    ['action=create', 'must include eventType'],
    [`${E}&eventType=x`, 'only once'],
    [`${E}&foo=1`, '"foo" is not supported'],
    [`${E}&immunisationtype=flu`, 'flu is not a known vaccine type'],
    [`${E}&action=upsert`, 'action must be create, update or delete'],
    [`${E}&subjectage=151`, 'from 0 to 150'],
    [`${E}&subjectage.gt=1.5`, 'whole number'],
    [`${E}&sourceapplication=a,,b`, 'empty value'],
  ])('refuses %j', (criteria, message) => {
    expect(() => parseCriteria(criteria)).toThrow(CriteriaError);
    expect(() => parseCriteria(criteria)).toThrow(message);
  });

  it('matches only when every filter holds (values within a filter are ORs; age bounds are exclusive)', () => {
    const f = parseCriteria(`${E}&immunisationtype=FLU,MMR&action=create&subjectage.gt=18&subjectage.lt=65`);
    expect(matches(f, facts())).toBe(true);
    expect(matches(f, facts({ vaccineType: 'MMR' }))).toBe(true);
    expect(matches(f, facts({ vaccineType: 'HPV' }))).toBe(false);
    expect(matches(f, facts({ action: 'update' }))).toBe(false);
    expect(matches(f, facts({ subjectAge: 18 }))).toBe(false);
    expect(matches(f, facts({ subjectAge: 65 }))).toBe(false);
    expect(matches(f, facts({ subjectAge: null }))).toBe(false);
    expect(matches(parseCriteria(`${E}&sourceorganisation=B0C4P`), facts({ sourceOrganisation: 'b0c4p' }))).toBe(true);
    expect(matches(parseCriteria(`${E}&sourceorganisation=B0C4P`), facts({ sourceOrganisation: null }))).toBe(false);
    expect(matches(parseCriteria(E), facts({ subjectAge: null, sourceOrganisation: null }))).toBe(true);
  });
});
