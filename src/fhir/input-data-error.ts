import { sqlState } from '../database/database';
import { Errors, FhirError } from './operation-outcome';

/**
 * Safety net for a database refusing a value the client sent: SQLSTATE class 22 (data exception:
 * bad date, NUL in text, value out of range, …) and 54000 (program limit exceeded: an index entry
 * too large). Validation is meant to catch these first, so each one that reaches here is logged as
 * a warning with its detail (a validation gap to close), but the client gets a 400, not a 500.
 */
export function inputDataError(err: unknown): FhirError | null {
  const state = sqlState(err);
  if (state === undefined || !(/^22[0-9A-Z]{3}$/.test(state) || state === '54000')) return null;
  return Errors.invalid('A value in the request cannot be stored or searched for (it is malformed or too long).');
}
