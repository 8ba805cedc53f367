import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { DeliveryOutcome, DELIVERY_TIMEOUT_MS } from './delivery-outcome';
import { EndpointPolicy, EndpointRefused } from './endpoint-policy';
import type { ResolvedAddress } from './special-addresses';

const USER_AGENT = 'immunisation-fhir-api-notifications/1';

/** A lookup that answers with the address the policy already checked, never asking DNS again. */
function pinnedLookup(a: ResolvedAddress): LookupFunction {
  return ((_host: string, options: { all?: boolean }, cb: (...args: unknown[]) => void) => {
    if (options?.all) cb(null, [{ address: a.address, family: a.family }]);
    else cb(null, a.address, a.family);
  }) as unknown as LookupFunction;
}

/**
 * POSTs a signal to a rest-hook endpoint. The endpoint is checked against the policy (allow-list,
 * private addresses) right before each delivery and the connection goes to the address that was
 * checked. 2xx is success; anything else, a timeout or a network error is a failed attempt. No
 * redirects are followed.
 */
export class RestHookSender {
  private readonly agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: 4 }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: 4 }),
  };

  constructor(
    private readonly policy: EndpointPolicy,
    private readonly timeoutMs = DELIVERY_TIMEOUT_MS,
  ) {}

  async send(
    endpoint: string,
    headers: [string, string][],
    contentType: string,
    body: string,
    abort: AbortSignal,
  ): Promise<DeliveryOutcome> {
    const started = performance.now();
    const done = (o: Omit<DeliveryOutcome, 'durationMs'>): DeliveryOutcome => ({
      ...o,
      durationMs: Math.round(performance.now() - started),
    });
    let target;
    try {
      target = await this.policy.check(endpoint);
    } catch (e) {
      if (e instanceof EndpointRefused) return done({ ok: false, statusCode: null, error: e.message, reason: 'endpoint_refused' });
      throw e;
    }
    const { url, addresses } = target;
    const outgoing: Record<string, string | string[]> = {};
    for (const [name, value] of headers) {
      const prev = outgoing[name];
      outgoing[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
    }
    outgoing['Content-Type'] = contentType;
    outgoing['Content-Length'] = String(Buffer.byteLength(body));
    if (!Object.keys(outgoing).some((k) => k.toLowerCase() === 'user-agent')) outgoing['User-Agent'] = USER_AGENT;

    return new Promise<DeliveryOutcome>((resolve) => {
      let settled = false;
      const finish = (o: Omit<DeliveryOutcome, 'durationMs'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        abort.removeEventListener('abort', onAbort);
        resolve(done(o));
      };
      const mod = url.protocol === 'https:' ? https : http;
      const req = mod.request({
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers: outgoing,
        agent: this.agents[url.protocol as 'http:' | 'https:'],
        lookup: pinnedLookup(addresses[0]),
      });
      const timer = setTimeout(() => {
        finish({ ok: false, statusCode: null, error: `no answer within ${this.timeoutMs} ms`, reason: 'timeout' });
        req.destroy();
      }, this.timeoutMs);
      const onAbort = () => {
        finish({ ok: false, statusCode: null, error: 'delivery interrupted by shutdown', reason: 'aborted' });
        req.destroy();
      };
      if (abort.aborted) return onAbort();
      abort.addEventListener('abort', onAbort, { once: true });
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        // The body is drained unread: nothing the endpoint says is stored or shown back (it could be
        // anything an internal service answers), only its status code and a fixed reason.
        res.resume();
        res.on('end', () => {
          if (status >= 200 && status < 300) finish({ ok: true, statusCode: status, error: null, reason: null });
          else
            finish({
              ok: false,
              statusCode: status,
              error: `HTTP ${status}: the endpoint did not answer with a 2xx status`,
              reason: 'http_status',
            });
        });
        res.on('error', (e) => finish({ ok: false, statusCode: status, error: e.message, reason: 'network' }));
      });
      req.on('error', (e: NodeJS.ErrnoException) =>
        finish({ ok: false, statusCode: null, error: e.code ? `${e.code}: ${e.message}` : e.message, reason: 'network' }),
      );
      req.end(body);
    });
  }

  close() {
    this.agents['http:'].destroy();
    this.agents['https:'].destroy();
  }
}
