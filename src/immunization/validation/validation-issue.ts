/** One failed rule: a 400 `invariant` issue once the HTTP layer wraps it in an OperationOutcome. */
export interface ValidationIssue {
  /** FHIRPath of the offending element, e.g. `Immunization.contained.where(resourceType='Patient').birthDate`. */
  expression: string;
  /** Human text naming the field and saying what is wrong with it. */
  diagnostics: string;
  /** Stable rule id, e.g. `patient.birthDate.notFuture` (for tests and logs, not for clients). */
  rule: string;
}

export type ValidationContext = { mode: 'create'; now?: Date } | { mode: 'update'; pathId: string; now?: Date };
