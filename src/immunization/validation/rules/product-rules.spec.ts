import { runCases } from '../../../../test/fixtures/validation/rule-cases';
import { productCases } from '../../../../test/fixtures/validation/product.cases';

describe('validation-rules §5: optional product details', () => {
  runCases(productCases);
});
