import { NHS_NUMBER_SYSTEM, SNOMED_SYSTEM } from '../kernel/terminology';
import { encodeCursor, SearchCursor } from './search-cursor';
import { escape } from './search-escaping';
import { Element, P } from './search-parameters';
import { INCLUDE_PATIENT } from './search-parameters.dto';

/** Fixed order of parameters in self and next links. */
const LINK_ORDER: string[] = Object.values(P);

/** What a search applied, after permissions: the basis of the self link. */
export type AppliedSearch =
  | {
      kind: 'patient';
      nhsNumber: string;
      types: string[] | null;
      diseaseCodes: string[] | null;
      dateFrom: string | null;
      dateTo: string | null;
      include: boolean;
      count: number | null;
    }
  | { kind: 'identifier'; system: string; value: string; elements: Element[] | null; include: boolean; count: number | null };

/**
 * The query string of a self link: only what was applied, parameters in a fixed order, vaccine types
 * and target diseases sorted, so equal searches give equal links. With `page` (a next link, or the
 * self link of a later page) it adds the page size in effect and the cursor.
 */
export function searchQueryString(a: AppliedSearch, page?: { count: number; cursor: SearchCursor }): string {
  const p = new Map<string, string>();
  if (a.kind === 'patient') {
    p.set(P.patientIdentifier, `${NHS_NUMBER_SYSTEM}|${a.nhsNumber}`);
    if (a.types) p.set(P.target, [...a.types].sort().join(','));
    if (a.diseaseCodes)
      p.set(
        P.targetDisease,
        [...a.diseaseCodes]
          .sort()
          .map((c) => `${SNOMED_SYSTEM}|${c}`)
          .join(','),
      );
    if (a.dateFrom) p.set(P.dateFrom, a.dateFrom);
    if (a.dateTo) p.set(P.dateTo, a.dateTo);
  } else {
    p.set(P.identifier, `${escape(a.system)}|${escape(a.value)}`);
    if (a.elements) p.set(P.elements, a.elements.join(','));
  }
  if (a.include) p.set(P.include, INCLUDE_PATIENT);
  const count = page ? page.count : a.count;
  if (count !== null) p.set(P.count, String(count));
  if (page) p.set(P.cursor, encodeCursor(page.cursor));
  const q = new URLSearchParams();
  for (const name of LINK_ORDER) if (p.has(name)) q.set(name, p.get(name)!);
  return q.toString();
}
