import { IQueryHandler, QueryBus, QueryHandler } from '@nestjs/cqrs';
import { Errors, issue } from '../../../fhir/operation-outcome';
import { GetNhsNumberStatus } from '../../../patient/public';
import { PatientPage, SearchReads } from '../../projection/search-projection.repository';
import { requestedTypes } from '../../search-parameters';
import { SearchImmunizationsByPatient, SearchPage } from './search-by-patient.query';

/**
 * Contract §4: the search runs over the requested vaccine types the supplier may search. None left
 * → 403; some left out → the permitted results plus an `unauthorized` warning.
 */
@QueryHandler(SearchImmunizationsByPatient)
export class SearchByPatientHandler implements IQueryHandler<SearchImmunizationsByPatient, SearchPage> {
  constructor(
    private readonly reads: SearchReads,
    private readonly queries: QueryBus,
  ) {}

  async execute({ criteria: c, principal }: SearchImmunizationsByPatient): Promise<SearchPage> {
    const requested = requestedTypes(c);
    const permitted = principal.supplier.permissions.filter('search', requested);
    if (permitted.length === 0) {
      throw Errors.forbidden(
        `Supplier ${principal.supplier.name} may not search vaccine type${requested.length > 1 ? 's' : ''} ${requested.join(', ')}.`,
      );
    }
    const warnings = [...c.warnings];
    const removed = requested.filter((t) => !permitted.includes(t));
    if (removed.length > 0) {
      warnings.push(
        issue(
          'warning',
          'unauthorized',
          'UNAUTHORIZED',
          `Your search included vaccine types you are not authorised to search, which were left out: ${removed.join(', ')}. The results cover ${permitted.join(', ')} only.`,
        ),
      );
    }

    // A superseded number has no records any more (they moved with the merge): say so, without
    // naming the new number. An invalidated number keeps its records, so it is searched as usual.
    const superseded = (await this.queries.execute(new GetNhsNumberStatus(c.nhsNumber))) === 'superseded';
    if (superseded) {
      warnings.push(
        issue(
          'information',
          'informational',
          'INFORMATIONAL',
          `The NHS number ${c.nhsNumber} has been superseded (the patient's records were merged on PDS): search with the patient's current NHS number.`,
        ),
      );
    }
    const page: PatientPage = superseded
      ? { total: 0, rows: [] }
      : await this.reads.patientPage({
          nhsNumber: c.nhsNumber,
          types: permitted,
          dateFrom: c.dateFrom,
          dateTo: c.dateTo,
          after: c.cursor,
          limit: c.count + 1,
        });
    const rows = page.rows.slice(0, c.count);
    const next = page.rows.length > c.count && rows.length > 0 ? rows[rows.length - 1].cursor : null;

    // The self link shows what was searched: permitted types, or the diseases some permitted type covers.
    const diseaseCodes =
      c.selection.by === 'disease'
        ? c.selection.diseases.filter((d) => d.types.some((t) => permitted.includes(t))).map((d) => d.code)
        : null;
    return {
      rows,
      total: page.total,
      next,
      warnings,
      count: c.count,
      applied: {
        kind: 'patient',
        nhsNumber: c.nhsNumber,
        types: c.selection.by === 'target' ? permitted : null,
        diseaseCodes,
        dateFrom: c.dateFrom,
        dateTo: c.dateTo,
        include: c.include,
        count: c.countGiven ? c.count : null,
      },
    };
  }
}
