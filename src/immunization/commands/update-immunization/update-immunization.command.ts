import { Command } from '@nestjs/cqrs';
import type { Principal } from '../../../auth/principal';
import type { VersionPrecondition } from '../../domain/version-precondition';
import type { WriteResult } from '../write-result';

/** PUT /Immunization/{id}: correct a record, or reinstate a deleted one. */
export class UpdateImmunization extends Command<WriteResult> {
  constructor(
    readonly id: string,
    readonly body: unknown,
    readonly precondition: VersionPrecondition,
    readonly principal: Principal,
    readonly requestId: string | null,
  ) {
    super();
  }
}
