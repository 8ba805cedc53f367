import { detachedKeyPair } from '../../auth/detached-key-pair';

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { PdsAccessToken } from './pds-access-token';
import { PdsPatientDirectory } from './pds-patient-directory';
import { DirectoryUnavailable } from './patient-directory';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

async function serve(handler: Handler): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => handler(req, body, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const patient = (id: string) => JSON.stringify({ resourceType: 'Patient', id });

describe('PdsPatientDirectory (against local HTTP stand-ins)', () => {
  const servers: Server[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'pds-spec-'));
  afterAll(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const start = async (h: Handler) => {
    const s = await serve(h);
    servers.push(s.server);
    return s.url;
  };

  it('reads current, superseded (another id) and not-found (404) answers', async () => {
    const url = await start((req, _b, res) => {
      if (req.url === '/Patient/9000000009') return res.writeHead(200).end(patient('9000000009'));
      if (req.url === '/Patient/9449310475') return res.writeHead(200).end(patient('9000000009'));
      res.writeHead(404).end();
    });
    const pds = new PdsPatientDirectory(url, 2000, null);
    await expect(pds.lookup('9000000009')).resolves.toEqual({ kind: 'current' });
    await expect(pds.lookup('9449310475')).resolves.toEqual({ kind: 'superseded', by: '9000000009' });
    await expect(pds.lookup('5994201928')).resolves.toEqual({ kind: 'not-found' });
  });

  it('treats a timeout, a 5xx and a non-Patient answer as unavailable, and opens the circuit after five', async () => {
    let calls = 0;
    const url = await start((req, _b, res) => {
      calls++;
      if (req.url === '/Patient/9000000009') return void setTimeout(() => res.writeHead(200).end(patient('9000000009')), 500);
      if (req.url === '/Patient/9449310475') return res.writeHead(503).end();
      res.writeHead(200).end('{"resourceType":"Bundle"}');
    });
    const pds = new PdsPatientDirectory(url, 150, null);
    await expect(pds.lookup('9000000009')).rejects.toThrow(/no answer within 150 ms/);
    await expect(pds.lookup('9449310475')).rejects.toThrow(/answered 503/);
    await expect(pds.lookup('5994201928')).rejects.toThrow(/not a Patient/);
    await expect(pds.lookup('9449310475')).rejects.toBeInstanceOf(DirectoryUnavailable);
    await expect(pds.lookup('9449310475')).rejects.toBeInstanceOf(DirectoryUnavailable);
    const before = calls;
    await expect(pds.lookup('9449310475')).rejects.toThrow(/circuit open/);
    expect(calls).toBe(before);
  });

  it('signs a client assertion, exchanges it for a token and sends that token, reusing it', async () => {
    const { privateKey, publicKey } = detachedKeyPair('rsa');
    const keyFile = join(dir, 'pds-key.pem');
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const assertions: string[] = [];
    const tokenUrl = `${await start(async (_req, body, res) => {
      const form = new URLSearchParams(body);
      expect(form.get('grant_type')).toBe('client_credentials');
      expect(form.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      assertions.push(form.get('client_assertion')!);
      res
        .writeHead(200, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ access_token: 'tok-1', expires_in: '599', token_type: 'Bearer' }));
    })}/oauth2/token`;
    const seen: (string | undefined)[] = [];
    const url = await start((req, _b, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(200).end(patient('9000000009'));
    });
    const token = new PdsAccessToken({ tokenUrl, clientId: 'imms-client', privateKeyFile: keyFile, keyId: 'imms-k1' }, 2000);
    const pds = new PdsPatientDirectory(url, 2000, token);
    await pds.lookup('9000000009');
    await pds.lookup('9000000009');
    expect(seen).toEqual(['Bearer tok-1', 'Bearer tok-1']);
    expect(assertions).toHaveLength(1);
    expect(decodeProtectedHeader(assertions[0])).toMatchObject({ alg: 'RS512', kid: 'imms-k1' });
    const { payload } = await jwtVerify(assertions[0], publicKey, { issuer: 'imms-client', subject: 'imms-client', audience: tokenUrl });
    expect(typeof payload.jti).toBe('string');
    expect(payload.exp! - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(300);
  });
});
