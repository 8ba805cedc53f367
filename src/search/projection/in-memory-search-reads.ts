import { PatientPage, PatientPageQuery, SearchReads, SearchRow } from './search-projection.repository';

/**
 * An in-memory SearchReads for handler specs: the same filtering, order and keyset paging as the
 * SQL, over rows held in an array (each with the fields the SQL filters on).
 */
export class InMemorySearchReads extends SearchReads {
  readonly queries: PatientPageQuery[] = [];

  constructor(readonly rows: (SearchRow & { occurrenceDate: string; identifier: { system: string; value: string } })[] = []) {
    super();
  }

  async patientPage(q: PatientPageQuery): Promise<PatientPage> {
    this.queries.push(q);
    const matched = this.rows
      .filter((r) => r.nhsNumber === q.nhsNumber && q.types.includes(r.vaccineType))
      .filter((r) => (q.dateFrom === null || r.occurrenceDate >= q.dateFrom) && (q.dateTo === null || r.occurrenceDate <= q.dateTo))
      .sort((a, b) => (a.cursor.at === b.cursor.at ? (a.id < b.id ? -1 : 1) : a.cursor.at < b.cursor.at ? 1 : -1));
    const after = q.after;
    const rest = after ? matched.filter((r) => r.cursor.at < after.at || (r.cursor.at === after.at && r.id > after.id)) : matched;
    return { total: matched.length, rows: rest.slice(0, q.limit) };
  }

  async byIdentifier(system: string, value: string): Promise<SearchRow | null> {
    return this.rows.find((r) => r.identifier.system === system && r.identifier.value === value) ?? null;
  }
}
