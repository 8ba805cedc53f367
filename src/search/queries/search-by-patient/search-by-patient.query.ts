import { Query } from '@nestjs/cqrs';
import type { Principal } from '../../../auth/principal';
import type { OutcomeIssue } from '../../../fhir/operation-outcome';
import type { SearchRow } from '../../projection/search-projection.repository';
import type { SearchCursor } from '../../search-cursor';
import type { AppliedSearch } from '../../search-links';
import type { PatientSearch } from '../../search-parameters';

export interface SearchPage {
  rows: SearchRow[];
  /** Every match (over the permitted types), not just this page. */
  total: number;
  /** Where the next page starts, when there is one. */
  next: SearchCursor | null;
  /** Ignored values and left-out vaccine types, for the Bundle's OperationOutcome entry. */
  warnings: OutcomeIssue[];
  /** What was applied after permissions, for the self link. */
  applied: AppliedSearch;
  /** Page size in effect. */
  count: number;
}

/** GET /Immunization?patient.identifier=… (and POST _search): a patient's records, newest first. */
export class SearchImmunizationsByPatient extends Query<SearchPage> {
  constructor(
    readonly criteria: PatientSearch,
    readonly principal: Principal,
  ) {
    super();
  }
}
