import type { DomainError, DomainErrorCode } from '../kernel/domain-error';
import { capIssues, FhirError, issue, IssueType, MAX_ISSUES } from './operation-outcome';

interface Answer {
  status: number;
  type: IssueType;
  details: string;
  headers?: Record<string, string>;
}

/**
 * The one map from the domain's refusals to the contract's answers (docs/api.md §3). A switch with
 * no default: a new DomainErrorCode does not compile until it has its row here.
 */
function answerFor(code: DomainErrorCode): Answer {
  switch (code) {
    case 'invalid':
      return { status: 400, type: 'invalid', details: 'INVALID' };
    case 'invariant':
      return { status: 400, type: 'invariant', details: 'INVARIANT' };
    case 'forbidden':
      return { status: 403, type: 'forbidden', details: 'FORBIDDEN' };
    case 'not-found':
      return { status: 404, type: 'not-found', details: 'NOT-FOUND' };
    case 'already-exists':
      return { status: 409, type: 'duplicate', details: 'DUPLICATE' };
    case 'version-conflict':
      return { status: 412, type: 'conflict', details: 'PRECONDITION-FAILED' };
    case 'too-large':
      return { status: 413, type: 'too-long', details: 'TOO-LARGE' };
    case 'duplicate':
      return { status: 422, type: 'duplicate', details: 'DUPLICATE' };
    case 'contention':
      return { status: 503, type: 'transient', details: 'SERVICE-UNAVAILABLE', headers: { 'Retry-After': '1' } };
  }
}

/** The FhirError (status, capped issues, headers) a DomainError is answered with. */
export function fhirErrorOf(e: DomainError): FhirError {
  const a = answerFor(e.code);
  const issues = e.issues.slice(0, MAX_ISSUES).map((i) => issue('error', a.type, a.details, i.diagnostics, i.expression));
  return new FhirError(a.status, capIssues(issues, e.issues.length), a.headers);
}
