import type { QueryBus } from '@nestjs/cqrs';
import { DomainError } from '../../kernel/domain-error';
import { GetNhsNumberStatus } from '../../patient/public';

const EXPRESSION = "Immunization.contained.where(resourceType='Patient').identifier[0].value";

/**
 * User guidance, "Merged patient records" and "Invalid patient records": a create or update must
 * carry the patient's current NHS number. The Patient module answers (no SQL while its register is
 * empty); the refusal never names the number that superseded this one.
 */
export async function assertCurrentNhsNumber(queries: QueryBus, nhsNumber: string | null): Promise<void> {
  if (nhsNumber === null) return;
  const status = await queries.execute(new GetNhsNumberStatus(nhsNumber));
  if (status === 'superseded') {
    throw DomainError.invariant(
      `The NHS number ${nhsNumber} has been superseded (the patient's records were merged on PDS): send the patient's current NHS number.`,
      EXPRESSION,
    );
  }
  if (status === 'invalidated') {
    throw DomainError.invariant(
      `The NHS number ${nhsNumber} is no longer a valid NHS number on PDS: send the patient's current NHS number.`,
      EXPRESSION,
    );
  }
}
