import { runCases } from '../../../../test/fixtures/validation/rule-cases';
import { eventCases } from '../../../../test/fixtures/validation/event.cases';

describe('validation-rules §4: the vaccination event', () => {
  runCases(eventCases);
});
