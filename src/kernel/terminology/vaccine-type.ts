import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SNOMED_SYSTEM } from './snomed-concept-id';

// src/ and dist/ sit at the same depth, so this resolves to <project>/config from either.
const CONFIG_DIR = join(__dirname, '../../..', 'config');

type VaccineTypesFile = Record<string, { diseases: [code: string, display: string][] }>;
type DiseaseToTypesFile = Record<string, { display: string; vaccine_types: string[] }>;

function readConfig<T>(file: string): T {
  return JSON.parse(readFileSync(join(CONFIG_DIR, file), 'utf8')) as T;
}

/** Canonical key of a disease set: sorted unique codes. Order of the input does not matter. */
function setKey(codes: readonly string[]): string {
  if (codes.length === 1) return codes[0]; // most vaccine types target one disease
  return [...new Set(codes)].sort().join('|');
}

function loadVaccineTypes() {
  const file = readConfig<VaccineTypesFile>('vaccine-types.json');
  const byDiseaseSet = new Map<string, string>();
  const diseasesByType = new Map<string, string[]>();
  const targetsByType = new Map<string, readonly { code: string; display: string }[]>();
  for (const [type, entry] of Object.entries(file)) {
    const codes = entry.diseases.map(([code]) => code);
    const key = setKey(codes);
    const clash = byDiseaseSet.get(key);
    // Two types with the same disease set would make a record's type ambiguous: refuse to start.
    if (clash) throw new Error(`config/vaccine-types.json: ${clash} and ${type} have the same disease set`);
    byDiseaseSet.set(key, type);
    diseasesByType.set(type, [...new Set(codes)].sort());
    targetsByType.set(type, Object.freeze(entry.diseases.map(([code, display]) => Object.freeze({ code, display }))));
  }
  return { byDiseaseSet, diseasesByType, targetsByType };
}

const { byDiseaseSet, diseasesByType, targetsByType } = loadVaccineTypes();
const ALL_TYPES = Object.freeze([...diseasesByType.keys()].sort());
const TYPES_BY_DISEASE = new Map(
  Object.entries(readConfig<DiseaseToTypesFile>('target-disease-to-vaccine-types.json')).map(
    ([code, entry]) => [code, Object.freeze([...entry.vaccine_types].sort())] as const,
  ),
);

/**
 * The API's vaccine types (`FLU`, `MMR`, …), defined by their set of target diseases
 * (config/vaccine-types.json). A record's type is the one whose disease set equals the record's
 * `protocolApplied[0].targetDisease` SNOMED codes.
 */
export const VaccineType = {
  /** The type whose disease set equals `codes` (order-free, repeats ignored), else null. */
  fromDiseaseCodes(codes: readonly string[]): string | null {
    if (codes.length === 0) return null;
    return byDiseaseSet.get(setKey(codes)) ?? null;
  },

  /** Every configured type, sorted. */
  all(): string[] {
    return [...ALL_TYPES];
  },

  /** Whether `type` is a configured vaccine type (case-sensitive, as the search parameter). */
  isKnown(type: string): boolean {
    return diseasesByType.has(type);
  },

  /** The SNOMED codes of the diseases a type targets, sorted; [] for an unknown type. */
  diseasesOf(type: string): string[] {
    return [...(diseasesByType.get(type) ?? [])];
  },

  /** The target diseases of a type with their displays, in config order; [] for an unknown type. */
  targetDiseasesOf(type: string): readonly { code: string; display: string }[] {
    return targetsByType.get(type) ?? [];
  },

  /** Every type that protects against the disease with this SNOMED code, sorted; [] if none. */
  coveringDisease(snomedCode: string): string[] {
    return [...(TYPES_BY_DISEASE.get(snomedCode) ?? [])];
  },
};

/**
 * The vaccine type of an Immunization (meant for resources that passed validation): the SNOMED
 * codes of `protocolApplied[0].targetDisease[*].coding`, mapped through {@link VaccineType.fromDiseaseCodes}.
 */
export function vaccineTypeOf(resource: unknown): string | null {
  const codes: string[] = [];
  const protocol = (resource as { protocolApplied?: unknown } | null)?.protocolApplied;
  const first = Array.isArray(protocol) ? (protocol[0] as { targetDisease?: unknown } | undefined) : undefined;
  const diseases = first?.targetDisease;
  if (!Array.isArray(diseases)) return null;
  for (const disease of diseases) {
    const codings = (disease as { coding?: unknown } | null)?.coding;
    if (!Array.isArray(codings)) return null;
    for (const coding of codings) {
      const c = coding as { system?: unknown; code?: unknown } | null;
      if (c?.system === SNOMED_SYSTEM && typeof c.code === 'string') codes.push(c.code);
    }
  }
  return VaccineType.fromDiseaseCodes(codes);
}
