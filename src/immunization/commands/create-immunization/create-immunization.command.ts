import { Command } from '@nestjs/cqrs';
import type { Principal } from '../../../auth/principal';
import type { WriteResult } from '../write-result';

/** POST /Immunization. `requestId` (X-Request-ID) makes a retried create idempotent. */
export class CreateImmunization extends Command<WriteResult> {
  constructor(
    readonly body: unknown,
    readonly principal: Principal,
    readonly requestId: string | null,
  ) {
    super();
  }
}
