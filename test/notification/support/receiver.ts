import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: any;
  raw: string;
  at: number;
}

export interface Behaviour {
  /** Answer 503 to this many deliveries before accepting. */
  failFirst?: number;
  /** Answer this status to every delivery (a receiver that is down). */
  alwaysStatus?: number;
  /** Wait this long before answering. */
  delayMs?: number;
}

/**
 * A real HTTP receiver on 127.0.0.1: each path (/hook/<name>) has its own behaviour and records
 * what it accepted (2xx answers only) and everything it was sent.
 */
export class Receiver {
  private server!: Server;
  readonly accepted = new Map<string, Received[]>();
  readonly seen = new Map<string, Received[]>();
  private readonly behaviours = new Map<string, Behaviour & { failed: number }>();
  port = 0;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (raw += c));
      req.on('end', () => {
        const path = req.url ?? '/';
        const b = this.behaviours.get(path) ?? { failed: 0 };
        const entry: Received = { path, headers: req.headers, body: safeJson(raw), raw, at: Date.now() };
        (this.seen.get(path) ?? this.seen.set(path, []).get(path)!).push(entry);
        const answer = () => {
          if (b.alwaysStatus !== undefined) {
            res.writeHead(b.alwaysStatus).end('receiver says no');
            return;
          }
          if (b.failFirst !== undefined && b.failed < b.failFirst) {
            b.failed++;
            res.writeHead(503).end('not yet');
            return;
          }
          entry.at = Date.now();
          (this.accepted.get(path) ?? this.accepted.set(path, []).get(path)!).push(entry);
          res.writeHead(200).end();
        };
        if (b.delayMs) setTimeout(answer, b.delayMs);
        else answer();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** A fresh endpoint URL with the given behaviour. */
  endpoint(name: string, behaviour: Behaviour = {}): string {
    this.behaviours.set(`/hook/${name}`, { ...behaviour, failed: 0 });
    return `http://127.0.0.1:${this.port}/hook/${name}`;
  }

  behave(name: string, behaviour: Behaviour) {
    this.behaviours.set(`/hook/${name}`, { ...behaviour, failed: 0 });
  }

  got(name: string): Received[] {
    return this.accepted.get(`/hook/${name}`) ?? [];
  }

  tried(name: string): Received[] {
    return this.seen.get(`/hook/${name}`) ?? [];
  }

  async stop() {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

function safeJson(raw: string): any {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/** Polls until `check` returns true (or throws the last failure after `timeoutMs`). */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
