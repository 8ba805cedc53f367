import { Command } from '@nestjs/cqrs';
import type { Principal } from '../../../auth/principal';

/** DELETE /Immunization/{id}: a soft delete; the record's history stays readable. */
export class DeleteImmunization extends Command<void> {
  constructor(
    readonly id: string,
    readonly principal: Principal,
    readonly requestId: string | null,
  ) {
    super();
  }
}
