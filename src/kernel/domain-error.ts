/**
 * Why a command or query refused, in the domain's words. Transport-free: the HTTP edge
 * (src/fhir/domain-error-outcome.ts) maps each code to a status and an OperationOutcome, and the
 * batch path writes the diagnostics into BusAck rows.
 */
export type DomainErrorCode =
  /** A request value that is malformed (not a business rule). */
  | 'invalid'
  /** A business rule or a validation rule is broken; may carry many issues. */
  | 'invariant'
  /** The caller's permissions do not cover this. */
  | 'forbidden'
  | 'not-found'
  /** Something with this key was already received (a batch file name). */
  | 'already-exists'
  /** The version the client based its change on is not current (FHIR If-Match). */
  | 'version-conflict'
  | 'too-large'
  /** A live record already holds this business identifier. */
  | 'duplicate'
  /** The record kept changing underneath: a transient condition worth a retry. */
  | 'contention';

export interface DomainIssue {
  diagnostics: string;
  /** FHIRPath of the element at fault, when there is one. */
  expression?: string;
}

export class DomainError extends Error {
  readonly issues: readonly DomainIssue[];

  constructor(
    readonly code: DomainErrorCode,
    issues: DomainIssue | readonly DomainIssue[],
  ) {
    const list = Array.isArray(issues) ? (issues as readonly DomainIssue[]) : [issues as DomainIssue];
    super(list[0]?.diagnostics ?? code);
    this.name = 'DomainError';
    this.issues = list;
  }

  static invalid = (diagnostics: string, expression?: string) => new DomainError('invalid', { diagnostics, expression });
  static invariant = (diagnostics: string, expression?: string) => new DomainError('invariant', { diagnostics, expression });
  /** Several broken rules reported together, one issue each. */
  static invariants = (issues: readonly DomainIssue[]) => new DomainError('invariant', issues);
  static forbidden = (diagnostics: string) => new DomainError('forbidden', { diagnostics });
  static notFound = (diagnostics: string) => new DomainError('not-found', { diagnostics });
  static alreadyExists = (diagnostics: string) => new DomainError('already-exists', { diagnostics });
  static versionConflict = (diagnostics: string) => new DomainError('version-conflict', { diagnostics });
  static tooLarge = (diagnostics: string) => new DomainError('too-large', { diagnostics });
  static duplicate = (diagnostics: string, expression?: string) => new DomainError('duplicate', { diagnostics, expression });
  static contention = (diagnostics: string) => new DomainError('contention', { diagnostics });
}
