import { detachedKeyPair } from './detached-key-pair';
import { createPrivateKey, createPublicKey, KeyObject } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, JWK } from 'jose';
import { ConfigError, type AppConfig } from '../config/app-config';

export const ACCESS_TOKEN_ALG = 'RS256';

/**
 * The server's own signing key for access tokens: AUTH_SIGNING_KEY_FILE (PEM) if set, else one
 * generated on first start under DATA_DIR and reused (in memory only when DATA_DIR=memory://).
 * The kid is the key's RFC 7638 thumbprint, so it changes exactly when the key does.
 */
export class ServerKeys {
  /** Set in a cluster worker: the primary's key, so every worker signs and verifies with the same one. */
  private static preset: KeyObject | null = null;

  static usePrivateKeyPem(pem: string) {
    ServerKeys.preset = createPrivateKey(pem);
  }

  /** The key load() would use, as PEM: the cluster primary reads or creates it once for all workers. */
  static privateKeyPem(config: Pick<AppConfig, 'authSigningKeyFile' | 'dataDir'>): string {
    return loadOrCreatePrivateKey(config).export({ type: 'pkcs8', format: 'pem' }) as string;
  }

  private constructor(
    readonly privateKey: KeyObject,
    readonly publicKey: KeyObject,
    readonly kid: string,
    readonly publicJwk: JWK,
  ) {}

  static async load(config: Pick<AppConfig, 'authSigningKeyFile' | 'dataDir'>): Promise<ServerKeys> {
    const privateKey = ServerKeys.preset ?? loadOrCreatePrivateKey(config);
    if (privateKey.asymmetricKeyType !== 'rsa') {
      throw new ConfigError('AUTH_SIGNING_KEY_FILE must hold an RSA private key (access tokens are RS256)');
    }
    const publicKey = createPublicKey(privateKey);
    const jwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(jwk);
    return new ServerKeys(privateKey, publicKey, kid, { ...jwk, kid, alg: ACCESS_TOKEN_ALG, use: 'sig' });
  }

  jwks(): { keys: JWK[] } {
    return { keys: [this.publicJwk] };
  }
}

function loadOrCreatePrivateKey(config: Pick<AppConfig, 'authSigningKeyFile' | 'dataDir'>): KeyObject {
  if (config.authSigningKeyFile) {
    try {
      return createPrivateKey(readFileSync(config.authSigningKeyFile, 'utf8'));
    } catch (e) {
      throw new ConfigError(`AUTH_SIGNING_KEY_FILE ${config.authSigningKeyFile} is not a readable PEM private key`);
    }
  }
  const generate = () => detachedKeyPair('rsa').privateKey;
  if (config.dataDir === 'memory://') return generate();
  const file = join(config.dataDir, 'auth', 'signing-key.pem');
  if (existsSync(file)) return createPrivateKey(readFileSync(file, 'utf8'));
  const key = generate();
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  // Written whole under a private name, then linked into place: link() fails if the file exists, so
  // a server and the token CLI starting together on an empty DATA_DIR never see half a key or
  // overwrite each other's; the loser uses the winner's key. (So the CLI needs no DATA_DIR lock.)
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, key.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'w', flush: true });
  chmodSync(tmp, 0o600);
  try {
    linkSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return createPrivateKey(readFileSync(file, 'utf8'));
  } finally {
    unlinkSync(tmp);
  }
  return key;
}
