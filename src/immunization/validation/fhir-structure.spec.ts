import { runCases } from '../../../test/fixtures/validation/rule-cases';
import { structureCases } from '../../../test/fixtures/validation/structure.cases';
import { structureValidator } from './fhir-structure';

describe('docs/validation-rules.md §1: FHIR R4 structure and the service element lists', () => {
  runCases(structureCases);

  it('compiles the Ajv validator once and reuses it', () => {
    expect(structureValidator()).toBe(structureValidator());
    expect(structureValidator().compileMs).toBeGreaterThan(0);
  });
});
