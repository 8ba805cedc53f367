import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject } from 'node:crypto';

/**
 * A new key pair whose KeyObjects are not shared with the generation job. Node 20 can deadlock when a
 * garbage collection during `key.export({ format: 'jwk' })` finalises the job that produced that same
 * key (the job's destructor waits for the key's lock, which the export holds; seen as a hung process
 * with the main thread in `~KeyGenJob` under `ExportJWK`). Keys re-read from PEM have their own data.
 */
export function detachedKeyPair(kind: 'rsa' | 'ec'): { privateKey: KeyObject; publicKey: KeyObject } {
  const publicKeyEncoding = { type: 'spki', format: 'pem' } as const;
  const privateKeyEncoding = { type: 'pkcs8', format: 'pem' } as const;
  const pem =
    kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding, privateKeyEncoding })
      : generateKeyPairSync('ec', { namedCurve: 'P-256', publicKeyEncoding, privateKeyEncoding });
  return { privateKey: createPrivateKey(pem.privateKey), publicKey: createPublicKey(pem.publicKey) };
}
