import type { Rule } from '../rule';
import { containedRules } from './contained-rules';
import { eventRules } from './event-rules';
import { identityRules } from './identity-rules';
import { patientRules } from './patient-rules';
import { productRules } from './product-rules';
import { referenceRules } from './reference-rules';

/**
 * Every business rule, in the order their issues are reported (the order of docs/validation-rules.md:
 * identity, contained and references, Patient, the event, product details). Structural issues
 * (FHIR R4 shape and the service's element lists) come before all of these.
 */
export const IMMUNIZATION_RULES: readonly Rule[] = Object.freeze([
  ...identityRules,
  ...containedRules,
  ...referenceRules,
  ...patientRules,
  ...eventRules,
  ...productRules,
]);
