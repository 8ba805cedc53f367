import { runCases } from '../../../../test/fixtures/validation/rule-cases';
import { referenceCases } from '../../../../test/fixtures/validation/references.cases';

describe('docs/validation-rules.md §2: contained, patient and performer references', () => {
  runCases(referenceCases);
});
