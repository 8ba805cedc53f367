import { runCases } from '../../../../test/fixtures/validation/rule-cases';
import { productCases } from '../../../../test/fixtures/validation/product.cases';

describe('docs/validation-rules.md §5: optional product details', () => {
  runCases(productCases);
});
