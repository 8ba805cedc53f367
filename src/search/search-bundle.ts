import { randomUUID } from 'node:crypto';
import { bundle, type BundleLink, type Entry, type FhirBundle, searchEntry } from '../fhir/bundle';
import { operationOutcome, OutcomeIssue } from '../fhir/operation-outcome';
import { containedPatient } from '../patient/public';
import { NHS_NUMBER_SYSTEM } from '../kernel/terminology';
import type { SearchRow } from './projection/search-projection.repository';
import type { Element } from './search-parameters';

export interface SearchsetInput {
  /** `<PUBLIC_BASE_URL><FHIR base path>` */
  base: string;
  /** Rows of this page, in result order. */
  rows: SearchRow[];
  total: number;
  links: BundleLink[];
  warnings: OutcomeIssue[];
  /** `_elements` of an identifier search: each entry keeps only these. */
  elements: Element[] | null;
  /**
   * Whether Patient include entries are added (patient search). An identifier search Bundle holds
   * Immunization entries only, as the NHS search response schema allows (docs/api.md §5).
   */
  patientEntries?: boolean;
  uuid?: () => string;
}

type Json = Record<string, unknown>;

const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };

const isContainedReference = (performer: unknown) => {
  const ref = (performer as { actor?: { reference?: unknown } } | null)?.actor?.reference;
  return typeof ref === 'string' && ref.startsWith('#');
};

/**
 * The Immunization as search shows it (docs/api.md §5): `contained` removed, `patient` pointing at the
 * Patient entry of the Bundle, and performers that pointed into `contained` dropped (their target is
 * gone, as on the national service). Every other element keeps its place and value.
 */
function matchResource(row: SearchRow, patient: Json): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(row.resource)) {
    if (key === 'contained') continue;
    if (key === 'id') out.id = row.id;
    else if (key === 'meta') out.meta = { ...(value as Json), versionId: String(row.version) };
    else if (key === 'patient') out.patient = patient;
    else if (key === 'performer' && Array.isArray(value)) {
      const kept = value.filter((p) => !isContainedReference(p));
      if (kept.length > 0) out.performer = kept;
    } else out[key] = value;
  }
  out.id = row.id;
  if (!out.meta) out.meta = { versionId: String(row.version) };
  if (!out.patient) out.patient = patient;
  return out;
}

/** `_elements`: only the asked-for elements (plus resourceType), marked SUBSETTED as FHIR asks. */
function subset(resource: Json, elements: Element[]): Json {
  const out: Json = { resourceType: resource.resourceType };
  if (elements.includes('id')) out.id = resource.id;
  if (elements.includes('meta')) {
    const meta = resource.meta as Json;
    const tags = Array.isArray(meta.tag) ? meta.tag : [];
    out.meta = { ...meta, tag: [...tags, SUBSETTED] };
  }
  return out;
}

/**
 * The Patient entry, built from the newest record's contained Patient: its NHS-number identifier
 * (system and value only) with `id` = the NHS number, as on the national service. A record without
 * an NHS number (found by identifier search) gets a Patient that only anchors the reference.
 */
function patientResource(row: SearchRow, uuid: string): Json {
  if (row.nhsNumber === null) return { resourceType: 'Patient', id: uuid };
  const fromRecord = (containedPatient(row.resource)?.identifier ?? [])
    .filter((i) => i?.system === NHS_NUMBER_SYSTEM && i.value === row.nhsNumber)
    .map((i) => ({ system: i.system as string, value: i.value as string }));
  const identifier = fromRecord.length > 0 ? fromRecord.slice(0, 1) : [{ system: NHS_NUMBER_SYSTEM, value: row.nhsNumber }];
  return { resourceType: 'Patient', id: row.nhsNumber, identifier };
}

/** A `searchset` Bundle as docs/api.md §5 describes it. */
export function searchsetBundle(input: SearchsetInput): FhirBundle {
  const uuid = input.uuid ?? randomUUID;
  const matches: Entry[] = [];
  const patients = new Map<string, { uuid: string; entry: Entry }>();
  for (const row of input.rows) {
    // Rows arrive newest first, so the first row of a patient is the newest record of that patient.
    const key = row.nhsNumber ?? `record:${row.id}`;
    let patient = patients.get(key);
    if (!patient) {
      const u = uuid();
      const resource = patientResource(row, u);
      patient = { uuid: u, entry: searchEntry(`urn:uuid:${u}`, input.elements ? subset(resource, ['id']) : resource, 'include') };
      patients.set(key, patient);
    }
    const reference: Json = { reference: `urn:uuid:${patient.uuid}`, type: 'Patient' };
    if (row.nhsNumber !== null) reference.identifier = { system: NHS_NUMBER_SYSTEM, value: row.nhsNumber };
    const resource = matchResource(row, reference);
    matches.push(
      searchEntry(`${input.base}/Immunization/${row.id}`, input.elements ? subset(resource, input.elements) : resource, 'match'),
    );
  }
  const includes = input.patientEntries === false ? [] : [...patients.values()].map((p) => p.entry);
  const entry: Entry[] = [...matches, ...includes];
  if (input.warnings.length > 0) {
    const outcome = operationOutcome(input.warnings);
    entry.push(searchEntry(`urn:uuid:${outcome.id}`, outcome, 'outcome'));
  }
  return bundle('searchset', { links: input.links, entries: entry, total: input.total });
}
