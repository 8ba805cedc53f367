import { runCases } from '../../../../test/fixtures/validation/rule-cases';
import { eventCases } from '../../../../test/fixtures/validation/event.cases';

describe('docs/validation-rules.md §4: the vaccination event', () => {
  runCases(eventCases);
});
