import { Query } from '@nestjs/cqrs';
import type { Principal } from '../../../auth/principal';
import type { SearchPage } from '../search-by-patient/search-by-patient.query';
import type { IdentifierSearch } from '../../search-parameters';

/** GET /Immunization?identifier=<system>|<value>: the live record with the supplier's identifier, if any. */
export class SearchImmunizationByIdentifier extends Query<SearchPage> {
  constructor(
    readonly criteria: IdentifierSearch,
    readonly principal: Principal,
  ) {
    super();
  }
}
