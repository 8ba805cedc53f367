/** What the national patient directory (PDS) says about an NHS number. */
export type DirectoryAnswer =
  | { kind: 'current' }
  /** PDS answered with a different patient: the number was merged into `by`. */
  | { kind: 'superseded'; by: string }
  /** PDS does not know the number (404): it is no longer valid. */
  | { kind: 'not-found' };

/** PDS could not answer now (timeout, 5xx, circuit open, bad token): try again later. */
export class DirectoryUnavailable extends Error {}

/**
 * The port to the patient directory. Adapters: the PDS FHIR API over HTTP (PDS_BASE_URL set) and
 * `none` (the embedded default: the register alone, no lookups; inbound MNS events are then off).
 */
export abstract class PatientDirectory {
  abstract readonly configured: boolean;
  abstract lookup(nhsNumber: string): Promise<DirectoryAnswer>;
}

export class NoPatientDirectory extends PatientDirectory {
  readonly configured = false;

  lookup(): Promise<DirectoryAnswer> {
    return Promise.reject(new DirectoryUnavailable('no patient directory is configured (PDS_BASE_URL)'));
  }
}
