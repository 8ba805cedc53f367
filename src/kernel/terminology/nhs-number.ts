/** The FHIR identifier system of NHS numbers (England and Wales). */
export const NHS_NUMBER_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';

const TEN_DIGITS = /^[0-9]{10}$/;

/**
 * An NHS number: exactly ten ASCII digits whose last digit is the modulus-11 check digit of the
 * first nine (weights 10..2; 11 - (sum mod 11); 11 means 0; 10 means the number cannot exist).
 * No normalisation: spaces or dashes are the caller's business, a stored value is always bare.
 */
export class NhsNumber {
  private constructor(readonly value: string) {}

  static parse(candidate: unknown): NhsNumber | null {
    return NhsNumber.isValid(candidate) ? new NhsNumber(candidate) : null;
  }

  static isValid(candidate: unknown): candidate is string {
    return NhsNumber.problem(candidate) === null;
  }

  /** Why `candidate` is not an NHS number (a phrase for diagnostics), or null when it is one. */
  static problem(candidate: unknown): string | null {
    if (typeof candidate !== 'string') return 'must be a string of 10 digits';
    if (!TEN_DIGITS.test(candidate)) return 'must be exactly 10 digits';
    let sum = 0;
    for (let i = 0; i < 9; i++) sum += (candidate.charCodeAt(i) - 48) * (10 - i);
    const check = 11 - (sum % 11);
    if (check === 10) return 'is not a valid NHS number (no check digit exists for its first nine digits)';
    if ((check === 11 ? 0 : check) !== candidate.charCodeAt(9) - 48) return 'has a wrong modulus-11 check digit';
    return null;
  }

  toString(): string {
    return this.value;
  }
}
