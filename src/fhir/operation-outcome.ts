import { randomUUID } from 'node:crypto';
import type { OperationOutcome as FhirOperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';

export const OPERATION_OUTCOME_PROFILE = 'https://simplifier.net/guide/UKCoreDevelopment2/ProfileUKCore-OperationOutcome';
export const HTTP_ERROR_CODE_SYSTEM = 'https://fhir.nhs.uk/Codesystem/http-error-codes';

export type IssueSeverity = OperationOutcomeIssue['severity'];
/**
 * FHIR's IssueType code (`invalid`, `not-found`, …), plus `unauthorized`: not in FHIR's value set,
 * but the code the national service's search warning uses for vaccine types left out by permissions.
 */
export type IssueType = OperationOutcomeIssue['code'] | 'unauthorized';

/** An issue as this service writes it: FHIR's OperationOutcome.issue (@medplum/fhirtypes), code widened as above. */
export type OutcomeIssue = Omit<OperationOutcomeIssue, 'code'> & { code: IssueType };

/** FHIR's OperationOutcome with what this service always sets: an id and the UK Core profile. */
export interface OperationOutcome extends Omit<FhirOperationOutcome, 'issue'> {
  id: string;
  meta: { profile: string[] };
  issue: OutcomeIssue[];
}

/** One issue with the NHS http-error-codes coding. */
export function issue(
  severity: IssueSeverity,
  code: IssueType,
  detailsCode: string,
  diagnostics: string,
  expression?: string,
): OutcomeIssue {
  const i: OutcomeIssue = {
    severity,
    code,
    details: { coding: [{ system: HTTP_ERROR_CODE_SYSTEM, code: detailsCode }] },
    diagnostics,
  };
  if (expression) i.expression = [expression];
  return i;
}

export function operationOutcome(issues: OutcomeIssue[]): OperationOutcome {
  return { resourceType: 'OperationOutcome', id: randomUUID(), meta: { profile: [OPERATION_OUTCOME_PROFILE] }, issue: issues };
}

/**
 * The one error type the service throws for anything a client caused. The exception filter turns
 * it into the contract's OperationOutcome; `headers` carries extras such as Allow or Retry-After.
 */
export class FhirError extends Error {
  constructor(
    readonly status: number,
    readonly issues: OutcomeIssue[],
    readonly headers: Record<string, string> = {},
  ) {
    super(issues[0]?.diagnostics ?? `HTTP ${status}`);
  }

  outcome(): OperationOutcome {
    // Already capped (100 + the "more were found" note) when built by Errors.invariants.
    return operationOutcome(this.issues.length > MAX_ISSUES + 1 ? capIssues(this.issues) : this.issues);
  }
}

/**
 * Most issues one OperationOutcome lists. A body with thousands of problems must not produce a
 * megabyte answer (or the CPU to build it): the first MAX_ISSUES are listed, then one
 * `information` issue says how many more were left out.
 */
export const MAX_ISSUES = 100;

export function capIssues(issues: OutcomeIssue[], total = issues.length): OutcomeIssue[] {
  if (total <= MAX_ISSUES) return issues;
  const more = total - MAX_ISSUES;
  return [
    ...issues.slice(0, MAX_ISSUES),
    issue(
      'information',
      'too-costly',
      'INVARIANT',
      `${more} further issue${more === 1 ? ' was' : 's were'} found and not listed; fix the ones above and resend.`,
    ),
  ];
}

/** The factory: one function per row of docs/api.md §3. */
export const Errors = {
  invalid: (diagnostics: string, expression?: string) =>
    new FhirError(400, [issue('error', 'invalid', 'INVALID', diagnostics, expression)]),
  invariant: (diagnostics: string, expression?: string) =>
    new FhirError(400, [issue('error', 'invariant', 'INVARIANT', diagnostics, expression)]),
  /** Several validation failures reported together, one issue each. */
  invariants: (issues: { diagnostics: string; expression?: string }[]) =>
    new FhirError(
      400,
      capIssues(
        issues.slice(0, MAX_ISSUES).map((i) => issue('error', 'invariant', 'INVARIANT', i.diagnostics, i.expression)),
        issues.length,
      ),
    ),
  unauthorized: (diagnostics: string) =>
    new FhirError(401, [issue('error', 'login', 'UNAUTHORIZED', diagnostics)], {
      'WWW-Authenticate': 'Bearer',
    }),
  forbidden: (diagnostics: string) => new FhirError(403, [issue('error', 'forbidden', 'FORBIDDEN', diagnostics)]),
  notFound: (diagnostics: string) => new FhirError(404, [issue('error', 'not-found', 'NOT-FOUND', diagnostics)]),
  methodNotAllowed: (diagnostics: string, allow: string[]) =>
    new FhirError(405, [issue('error', 'not-supported', 'NOT-SUPPORTED', diagnostics)], { Allow: allow.join(', ') }),
  notAcceptable: (diagnostics: string) => new FhirError(406, [issue('error', 'not-supported', 'NOT-SUPPORTED', diagnostics)]),
  unsupportedMediaType: (diagnostics: string) => new FhirError(415, [issue('error', 'not-supported', 'NOT-SUPPORTED', diagnostics)]),
  preconditionFailed: (diagnostics: string) => new FhirError(412, [issue('error', 'conflict', 'PRECONDITION-FAILED', diagnostics)]),
  tooLarge: (diagnostics: string) => new FhirError(413, [issue('error', 'too-long', 'TOO-LARGE', diagnostics)]),
  duplicate: (diagnostics: string, expression?: string) =>
    new FhirError(422, [issue('error', 'duplicate', 'DUPLICATE', diagnostics, expression)]),
  throttled: (diagnostics: string, retryAfterSeconds: number) =>
    new FhirError(429, [issue('error', 'throttled', 'TOO-MANY-REQUESTS', diagnostics)], {
      'Retry-After': String(retryAfterSeconds),
    }),
  exception: () => new FhirError(500, [issue('error', 'exception', 'EXCEPTION', 'An unexpected error occurred. It has been logged.')]),
  unavailable: (diagnostics: string) =>
    new FhirError(503, [issue('error', 'transient', 'SERVICE-UNAVAILABLE', diagnostics)], { 'Retry-After': '1' }),
};
