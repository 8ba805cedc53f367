import { randomUUID } from 'node:crypto';
import { NhsNumber } from '../../kernel/terminology';
import { CircuitBreaker } from './circuit-breaker';
import { PdsAccessToken } from './pds-access-token';
import { DirectoryAnswer, DirectoryUnavailable, PatientDirectory } from './patient-directory';

/**
 * The PDS FHIR API: `GET <base>/Patient/<nhs>`. A Patient whose id is the asked number: current.
 * A Patient with another id: PDS followed a merge, the asked number is superseded by that id.
 * 404: the number is not (any longer) valid. Anything else is "try later" and counts against the
 * circuit breaker; every call has a timeout.
 */
export class PdsPatientDirectory extends PatientDirectory {
  readonly configured = true;
  private readonly breaker = new CircuitBreaker();

  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs: number,
    private readonly token: PdsAccessToken | null,
  ) {
    super();
  }

  lookup(nhsNumber: string): Promise<DirectoryAnswer> {
    return this.breaker.call(
      () => this.fetchPatient(nhsNumber),
      (e) => e instanceof DirectoryUnavailable,
    );
  }

  private async fetchPatient(nhsNumber: string): Promise<DirectoryAnswer> {
    const headers: Record<string, string> = { Accept: 'application/fhir+json', 'X-Request-ID': randomUUID() };
    if (this.token) headers.Authorization = `Bearer ${await this.token.get()}`;
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}/Patient/${encodeURIComponent(nhsNumber)}`, {
        headers,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      const why = (e as Error).name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : (e as Error).message;
      throw new DirectoryUnavailable(`PDS unreachable: ${why}`);
    }
    if (res.status === 404) {
      await res.body?.cancel();
      return { kind: 'not-found' };
    }
    if (res.status === 401) this.token?.reset();
    if (!res.ok) {
      await res.body?.cancel();
      throw new DirectoryUnavailable(`PDS answered ${res.status}`);
    }
    let body: { resourceType?: unknown; id?: unknown };
    try {
      body = (await res.json()) as typeof body;
    } catch {
      throw new DirectoryUnavailable('PDS answered with a body that is not JSON');
    }
    if (body?.resourceType !== 'Patient' || !NhsNumber.isValid(body.id)) {
      throw new DirectoryUnavailable('PDS answered with something that is not a Patient with an NHS number id');
    }
    return body.id === nhsNumber ? { kind: 'current' } : { kind: 'superseded', by: body.id };
  }
}
