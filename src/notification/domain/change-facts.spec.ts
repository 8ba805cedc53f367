import { ageInYears, sourceOrganisationOf } from './change-facts';

describe('change facts', () => {
  it('counts age in whole years on the day of the event', () => {
    const at = new Date('2026-06-15T10:00:00Z');
    expect(ageInYears('2000-06-15', at)).toBe(26);
    expect(ageInYears('2000-06-16', at)).toBe(25);
    expect(ageInYears('2000-07', at)).toBe(25);
    expect(ageInYears('2000', at)).toBe(26);
    expect(ageInYears('2026-06-16', at)).toBeNull();
    expect(ageInYears('not a date', at)).toBeNull();
    expect(ageInYears(undefined, at)).toBeNull();
  });

  it('takes the source organisation from the Organization performer', () => {
    expect(
      sourceOrganisationOf({
        performer: [
          { actor: { reference: '#Pract1', type: 'Practitioner' } },
          { actor: { type: 'Organization', identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'B0C4P' } } },
        ],
      }),
    ).toBe('B0C4P');
    expect(sourceOrganisationOf({ performer: [{ actor: { type: 'Practitioner' } }] })).toBeNull();
    expect(sourceOrganisationOf({})).toBeNull();
  });
});
