import type { Immunization } from '@medplum/fhirtypes';
import { Query } from '@nestjs/cqrs';
import type { Principal } from '../../../auth/principal';

export interface ReadResult {
  id: string;
  version: number;
  lastUpdated: Date;
  resource: Immunization;
}

/** GET /Immunization/{id} (version omitted) and GET /Immunization/{id}/_history/{vid}. */
export class ReadImmunization extends Query<ReadResult> {
  constructor(
    readonly id: string,
    readonly principal: Principal,
    readonly version: number | null = null,
  ) {
    super();
  }
}
