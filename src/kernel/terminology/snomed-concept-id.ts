/** The SNOMED CT code system URI as used in FHIR codings. */
export const SNOMED_SYSTEM = 'http://snomed.info/sct';

// Verhoeff's dihedral-group tables (multiplication, permutation, inverse).
const D = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
  [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
  [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
  [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
  [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
  [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
  [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
  [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
  [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const P = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
  [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
  [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
  [9, 4, 5, 3, 1, 2, 8, 6, 7, 0],
  [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
  [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
  [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

/** True when the whole digit string (check digit last) passes the Verhoeff check. */
export function verhoeffValid(digits: string): boolean {
  let c = 0;
  for (let i = 0; i < digits.length; i++) {
    c = D[c][P[i % 8][digits.charCodeAt(digits.length - 1 - i) - 48]];
  }
  return c === 0;
}

const SCTID = /^[1-9][0-9]{5,17}$/;
/** Partition identifiers of a concept id: 00 (core, short format) and 10 (extension, long format). */
const CONCEPT_PARTITIONS = new Set(['00', '10']);

/**
 * A SNOMED CT concept id (SCTID): 6–18 digits, no leading zero, partition identifier (the 2nd and
 * 3rd digits from the right) `00` or `10`, and a Verhoeff check digit. Description and relationship
 * ids (partitions 01/02/11/12) are refused: a coding's code must name a concept.
 */
export class SnomedConceptId {
  private constructor(readonly value: string) {}

  static parse(candidate: unknown): SnomedConceptId | null {
    return SnomedConceptId.isValid(candidate) ? new SnomedConceptId(candidate) : null;
  }

  static isValid(candidate: unknown): candidate is string {
    return SnomedConceptId.problem(candidate) === null;
  }

  /** Why `candidate` is not a concept id (a phrase for diagnostics), or null when it is one. */
  static problem(candidate: unknown): string | null {
    if (typeof candidate !== 'string') return 'must be a string of digits';
    if (!SCTID.test(candidate)) return 'must be 6 to 18 digits without a leading zero';
    const partition = candidate.slice(candidate.length - 3, candidate.length - 1);
    if (!CONCEPT_PARTITIONS.has(partition)) return `has partition identifier ${partition}, not a concept's 00 or 10`;
    if (!verhoeffValid(candidate)) return 'has a wrong Verhoeff check digit';
    return null;
  }

  /** The two-digit partition identifier, `00` or `10`. */
  get partition(): string {
    return this.value.slice(this.value.length - 3, this.value.length - 1);
  }

  toString(): string {
    return this.value;
  }
}
