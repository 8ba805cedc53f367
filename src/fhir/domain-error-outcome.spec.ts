import { DomainError } from '../kernel/domain-error';
import { fhirErrorOf } from './domain-error-outcome';
import { Errors, FhirError, MAX_ISSUES } from './operation-outcome';

/** Status, issues and headers: what the client sees, without the random OperationOutcome id. */
const seen = (e: FhirError) => ({ status: e.status, issues: e.issues, headers: e.headers });

describe('fhirErrorOf (the one map from domain refusals to OperationOutcomes)', () => {
  // Each code answers exactly as the Errors factory row the domain threw before it had codes.
  it.each<[string, DomainError, FhirError]>([
    ['invalid', DomainError.invalid('bad', 'X.y'), Errors.invalid('bad', 'X.y')],
    ['invariant', DomainError.invariant('rule', 'X.y'), Errors.invariant('rule', 'X.y')],
    ['forbidden', DomainError.forbidden('no'), Errors.forbidden('no')],
    ['not-found', DomainError.notFound('gone'), Errors.notFound('gone')],
    ['version-conflict', DomainError.versionConflict('stale'), Errors.preconditionFailed('stale')],
    ['too-large', DomainError.tooLarge('big'), Errors.tooLarge('big')],
    ['duplicate', DomainError.duplicate('twice', 'X.identifier[0]'), Errors.duplicate('twice', 'X.identifier[0]')],
    ['contention', DomainError.contention('busy'), Errors.unavailable('busy')],
  ])('%s', (_code, domain, http) => {
    expect(seen(fhirErrorOf(domain))).toEqual(seen(http));
  });

  it('already-exists is a 409 DUPLICATE (a batch file name received before)', () => {
    const e = fhirErrorOf(DomainError.alreadyExists('A file named x.csv was already received.'));
    expect(e.status).toBe(409);
    expect(e.issues).toEqual([
      {
        severity: 'error',
        code: 'duplicate',
        details: { coding: [{ system: 'https://fhir.nhs.uk/Codesystem/http-error-codes', code: 'DUPLICATE' }] },
        diagnostics: 'A file named x.csv was already received.',
      },
    ]);
  });

  it('lists many broken rules as one issue each, capped like Errors.invariants', () => {
    const issues = Array.from({ length: MAX_ISSUES + 5 }, (_, i) => ({ diagnostics: `rule ${i}`, expression: `X.e${i}` }));
    expect(seen(fhirErrorOf(DomainError.invariants(issues)))).toEqual(seen(Errors.invariants(issues)));
    expect(fhirErrorOf(DomainError.invariants(issues)).issues).toHaveLength(MAX_ISSUES + 1);
  });
});
