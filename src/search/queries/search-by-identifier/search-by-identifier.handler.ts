import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { Errors } from '../../../fhir/operation-outcome';
import { VaccineType } from '../../../kernel/terminology';
import { SearchReads } from '../../projection/search-projection.repository';
import type { SearchPage } from '../search-by-patient/search-by-patient.query';
import { SearchImmunizationByIdentifier } from './search-by-identifier.query';

/**
 * Contract §4: identifier search needs `s` on the found record's type. A supplier that may search
 * no type at all is refused before the look-up, so the answer cannot tell it whether a record exists.
 */
@QueryHandler(SearchImmunizationByIdentifier)
export class SearchByIdentifierHandler implements IQueryHandler<SearchImmunizationByIdentifier, SearchPage> {
  constructor(private readonly reads: SearchReads) {}

  async execute({ criteria: c, principal }: SearchImmunizationByIdentifier): Promise<SearchPage> {
    const { permissions, name } = principal.supplier;
    if (permissions.filter('search', VaccineType.all()).length === 0) {
      throw Errors.forbidden(`Supplier ${name} may not search any vaccine type.`);
    }
    const row = await this.reads.byIdentifier(c.system, c.value);
    if (row !== null && !permissions.allows('search', row.vaccineType)) {
      throw Errors.forbidden(`Supplier ${name} may not search vaccine type ${row.vaccineType}.`);
    }
    const rows = row === null || c.count === 0 ? [] : [row];
    return {
      rows,
      total: row === null ? 0 : 1,
      next: null,
      warnings: [],
      count: c.count,
      applied: {
        kind: 'identifier',
        system: c.system,
        value: c.value,
        elements: c.elements,
        include: c.include,
        count: c.countGiven ? c.count : null,
      },
    };
  }
}
