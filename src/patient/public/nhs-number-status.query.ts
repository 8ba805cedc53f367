import { Query } from '@nestjs/cqrs';

/**
 * Whether an NHS number is still current. Deliberately never says what a superseded number became:
 * callers outside the Patient module (validation, search) must not disclose it.
 */
export type NhsNumberStatus = 'current' | 'superseded' | 'invalidated';

/** Asked by validation (create/update) and search; answered by the Patient module. */
export class GetNhsNumberStatus extends Query<NhsNumberStatus> {
  constructor(readonly nhsNumber: string) {
    super();
  }
}
