import { Query } from '@nestjs/cqrs';
import type { Principal } from '../../../auth/principal';
import type { StoredJson } from '../../../fhir/fhir-json';

export interface ReadResult {
  id: string;
  version: number;
  lastUpdated: Date;
  /** The Immunization as stored: a read sends it without parsing it. */
  resource: StoredJson;
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
