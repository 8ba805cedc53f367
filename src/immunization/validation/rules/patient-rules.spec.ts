import { runCases } from '../../../../test/fixtures/validation/rule-cases';
import { patientCases } from '../../../../test/fixtures/validation/patient.cases';

describe('docs/validation-rules.md §3: the contained Patient', () => {
  runCases(patientCases);
});
