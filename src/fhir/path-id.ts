import { Errors } from './operation-outcome';

const PATH_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** Validation-rules §7.1: a malformed path id is 400 INVALID (an unknown well-formed one is 404). */
export function pathId(raw: string): string {
  if (!PATH_ID.test(raw)) throw Errors.invalid(`The id "${raw.slice(0, 70)}" is not a valid FHIR id ([A-Za-z0-9-.], 1 to 64 characters).`);
  return raw;
}
