import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for the PDS FHIR API on 127.0.0.1 (PDS itself is not reachable from tests):
 * `GET /Patient/{nhs}` answers the Patient (id = the number), the superseding Patient (id = the
 * surviving number) after `supersede(old, new)`, or 404 after `forget(nhs)`. `hold()` keeps
 * requests waiting until `release()`, to kill a server while its lookup is in flight.
 */
export class PdsStandIn {
  private server!: Server;
  private readonly successor = new Map<string, string>();
  private readonly unknown = new Set<string>();
  private held: (() => void)[] | null = null;
  readonly requests: string[] = [];
  port = 0;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const m = /^\/Patient\/([0-9]{10})$/.exec(req.url ?? '');
      this.requests.push(req.url ?? '');
      const answer = () => {
        if (req.method !== 'GET' || !m) return res.writeHead(400).end();
        const nhs = m[1];
        if (this.unknown.has(nhs))
          return res.writeHead(404, { 'Content-Type': 'application/fhir+json' }).end('{"resourceType":"OperationOutcome","issue":[]}');
        const id = this.successor.get(nhs) ?? nhs;
        res
          .writeHead(200, { 'Content-Type': 'application/fhir+json' })
          .end(JSON.stringify({ resourceType: 'Patient', id, identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: id }] }));
      };
      if (this.held) this.held.push(answer);
      else answer();
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  supersede(old: string, current: string) {
    this.successor.set(old, current);
  }

  forget(nhs: string) {
    this.unknown.add(nhs);
  }

  hold() {
    this.held ??= [];
  }

  release() {
    const waiting = this.held ?? [];
    this.held = null;
    for (const answer of waiting) answer();
  }

  async stop() {
    this.release();
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

/** An MNS `nhs-number-change-1` CloudEvent. */
export function nhsNumberChange(id: string, subject: string, type = 'nhs-number-change-1') {
  return {
    specversion: '1.0',
    id,
    source: 'uk.nhs.pds',
    type,
    subject,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data: {},
  };
}
