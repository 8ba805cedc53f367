import { VaccineType } from '../../kernel/terminology';

export const EVENT_TYPE = 'imms-vaccination-record-change-1';

export type Action = 'create' | 'update' | 'delete';
const ACTIONS: readonly Action[] = ['create', 'update', 'delete'];

/** The parsed `criteria` of a subscription: every present filter must hold (values within one are ORs). */
export interface SignalFilter {
  immunisationtype?: string[];
  action?: Action[];
  sourceorganisation?: string[];
  sourceapplication?: string[];
  subjectage?: { eq?: number; lt?: number; gt?: number };
}

/** The facts of one change that filters are evaluated on. */
export interface SignalFacts {
  vaccineType: string;
  action: Action;
  sourceOrganisation: string | null;
  sourceApplication: string;
  subjectAge: number | null;
}

export class CriteriaError extends Error {}

const ODS = /^[A-Za-z0-9]{1,12}$/;
const SUPPLIER = /^[^\s,]{1,100}$/;
const AGE = /^\d{1,3}$/;
const KNOWN = [
  'eventType',
  'immunisationtype',
  'action',
  'sourceorganisation',
  'sourceapplication',
  'subjectage',
  'subjectage.lt',
  'subjectage.gt',
];

function list(name: string, raw: string): string[] {
  const values = raw.split(',').map((v) => v.trim());
  if (values.some((v) => v === '')) throw new CriteriaError(`criteria ${name} has an empty value.`);
  return [...new Set(values)];
}

function age(name: string, raw: string): number {
  if (!AGE.test(raw) || Number(raw) > 150)
    throw new CriteriaError(`criteria ${name} must be a whole number of years from 0 to 150 (got "${raw.slice(0, 20)}").`);
  return Number(raw);
}

/**
 * Parses `Immunization?eventType=imms-vaccination-record-change-1&…` (the `Immunization?` prefix is
 * optional). Throws CriteriaError naming the problem: unknown or repeated parameters, a missing or
 * different eventType, unknown vaccine types or actions, malformed codes or ages.
 */
export function parseCriteria(criteria: unknown): SignalFilter {
  if (typeof criteria !== 'string' || criteria.trim() === '')
    throw new CriteriaError('criteria is required: eventType=' + EVENT_TYPE + ' plus optional & filters.');
  let query = criteria.trim();
  const q = query.indexOf('?');
  if (q >= 0) {
    const resource = query.slice(0, q);
    if (resource !== 'Immunization') throw new CriteriaError(`criteria must be about Immunization (got "${resource.slice(0, 40)}?").`);
    query = query.slice(q + 1);
  }
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(query);
  } catch {
    throw new CriteriaError('criteria is not a query string.');
  }
  const seen = new Set<string>();
  for (const name of params.keys()) {
    if (!KNOWN.includes(name))
      throw new CriteriaError(`criteria parameter "${name.slice(0, 40)}" is not supported; use ${KNOWN.join(', ')}.`);
    if (seen.has(name)) throw new CriteriaError(`criteria parameter ${name} may be given only once.`);
    seen.add(name);
  }
  const eventType = params.get('eventType');
  if (eventType === null) throw new CriteriaError(`criteria must include eventType=${EVENT_TYPE}.`);
  if (eventType !== EVENT_TYPE) throw new CriteriaError(`criteria eventType must be ${EVENT_TYPE} (got "${eventType.slice(0, 60)}").`);

  const filter: SignalFilter = {};
  const types = params.get('immunisationtype');
  if (types !== null) {
    const known = new Set(VaccineType.all());
    const values = list('immunisationtype', types);
    const unknown = values.filter((t) => !known.has(t));
    if (unknown.length > 0)
      throw new CriteriaError(`criteria immunisationtype ${unknown.join(', ').slice(0, 80)} is not a known vaccine type.`);
    filter.immunisationtype = values;
  }
  const actions = params.get('action');
  if (actions !== null) {
    const values = list('action', actions).map((a) => a.toLowerCase());
    const bad = values.find((a) => !ACTIONS.includes(a as Action));
    if (bad !== undefined) throw new CriteriaError(`criteria action must be create, update or delete (got "${bad.slice(0, 20)}").`);
    filter.action = values as Action[];
  }
  const orgs = params.get('sourceorganisation');
  if (orgs !== null) {
    const values = list('sourceorganisation', orgs);
    const bad = values.find((o) => !ODS.test(o));
    if (bad !== undefined) throw new CriteriaError(`criteria sourceorganisation "${bad.slice(0, 20)}" is not an ODS code.`);
    filter.sourceorganisation = values.map((o) => o.toUpperCase());
  }
  const apps = params.get('sourceapplication');
  if (apps !== null) {
    const values = list('sourceapplication', apps);
    const bad = values.find((a) => !SUPPLIER.test(a));
    if (bad !== undefined) throw new CriteriaError(`criteria sourceapplication "${bad.slice(0, 20)}" is not a supplier name.`);
    filter.sourceapplication = values;
  }
  const eq = params.get('subjectage');
  const lt = params.get('subjectage.lt');
  const gt = params.get('subjectage.gt');
  if (eq !== null || lt !== null || gt !== null) {
    filter.subjectage = {};
    if (eq !== null) filter.subjectage.eq = age('subjectage', eq);
    if (lt !== null) filter.subjectage.lt = age('subjectage.lt', lt);
    if (gt !== null) filter.subjectage.gt = age('subjectage.gt', gt);
  }
  return filter;
}

/** Whether a change passes every filter of a subscription. */
export function matches(filter: SignalFilter, f: SignalFacts): boolean {
  if (filter.immunisationtype && !filter.immunisationtype.includes(f.vaccineType)) return false;
  if (filter.action && !filter.action.includes(f.action)) return false;
  if (
    filter.sourceorganisation &&
    (f.sourceOrganisation === null || !filter.sourceorganisation.includes(f.sourceOrganisation.toUpperCase()))
  )
    return false;
  if (filter.sourceapplication && !filter.sourceapplication.includes(f.sourceApplication)) return false;
  const a = filter.subjectage;
  if (a) {
    if (f.subjectAge === null) return false;
    if (a.eq !== undefined && f.subjectAge !== a.eq) return false;
    if (a.lt !== undefined && !(f.subjectAge < a.lt)) return false;
    if (a.gt !== undefined && !(f.subjectAge > a.gt)) return false;
  }
  return true;
}
