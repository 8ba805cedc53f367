import type { Immunization } from '@medplum/fhirtypes';
import { DomainError } from '../../kernel/domain-error';
import { validateImmunization, ValidationContext } from '../validation/validate-immunization';

/** Validation-rules §1–§6: every failing rule at once, as one 400 INVARIANT OperationOutcome. */
export function assertValidImmunization(body: unknown, ctx: ValidationContext): asserts body is Immunization {
  const issues = validateImmunization(body, ctx);
  if (issues.length > 0) throw DomainError.invariants(issues.map((i) => ({ diagnostics: i.diagnostics, expression: i.expression })));
}
