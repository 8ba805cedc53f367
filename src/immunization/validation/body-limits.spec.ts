import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { capIssues, issue, MAX_ISSUES } from '../../fhir/operation-outcome';
import { BODY_LIMITS, bodyLimitIssues } from './body-limits';
import { validateImmunization } from './validate-immunization';

const seed = JSON.parse(readFileSync(join(__dirname, '../../../test/fixtures/immunization.seed.json'), 'utf8'));

describe('bodyLimitIssues: size limits checked before the schema', () => {
  it('accepts real records', () => {
    expect(bodyLimitIssues(seed)).toEqual([]);
    for (const f of ['national-e2e-covid-create.json', 'national-e2e-flu-create.json', 'national-e2e-flu-update.json']) {
      expect(bodyLimitIssues(JSON.parse(readFileSync(join(__dirname, '../../../test/fixtures/validation', f), 'utf8')))).toEqual([]);
    }
  });
  it('names each over-long array with its count and limit, at any depth', () => {
    const body = {
      ...seed,
      contained: new Array(11).fill(0),
      performer: [{ actor: { identifier: { extension: new Array(51).fill({}) } } }],
    };
    expect(bodyLimitIssues(body)).toEqual([
      {
        rule: 'structure.tooManyItems',
        expression: 'Immunization.contained',
        diagnostics: 'Immunization.contained has 11 items; at most 10 are accepted',
      },
      {
        rule: 'structure.tooManyItems',
        expression: 'Immunization.performer[0].actor.identifier.extension',
        diagnostics: 'Immunization.performer[0].actor.identifier.extension has 51 items; at most 50 are accepted',
      },
    ]);
  });
  it('arrays at their limits pass', () => {
    expect(bodyLimitIssues({ ...seed, contained: new Array(10).fill(0), identifier: new Array(50).fill(0) })).toEqual([]);
  });
  it('refuses more than the value limit with one issue', () => {
    const wide: Record<string, number> = {};
    for (let i = 0; i < BODY_LIMITS.values; i++) wide[`k${i}`] = i;
    expect(bodyLimitIssues({ ...seed, meta: wide })).toEqual([
      expect.objectContaining({ rule: 'structure.tooManyValues', expression: 'Immunization' }),
    ]);
  });
  it('stops after 20 reported arrays', () => {
    const body = {
      ...seed,
      contained: Array.from({ length: 10 }, () => ({ name: Array.from({ length: 10 }, () => ({ given: new Array(60).fill('a') })) })),
    };
    expect(bodyLimitIssues(body)).toHaveLength(BODY_LIMITS.reportedArrays);
  });
  it('validateImmunization answers a 32,000-item contained with that one issue (it took minutes before)', () => {
    const issues = validateImmunization({ ...seed, contained: new Array(32000).fill(0) }, { mode: 'create' });
    expect(issues).toEqual([expect.objectContaining({ expression: 'Immunization.contained', rule: 'structure.tooManyItems' })]);
  });
});

describe('capIssues', () => {
  const many = (n: number) => Array.from({ length: n }, (_, i) => issue('error', 'invariant', 'INVARIANT', `problem ${i}`));
  it('leaves 100 or fewer alone', () => expect(capIssues(many(MAX_ISSUES))).toHaveLength(MAX_ISSUES));
  it('lists 100 and says how many more', () => {
    const out = capIssues(many(250));
    expect(out).toHaveLength(MAX_ISSUES + 1);
    expect(out[MAX_ISSUES]).toMatchObject({
      severity: 'information',
      code: 'too-costly',
      diagnostics: expect.stringMatching(/^150 further issues were found/),
    });
  });
});
