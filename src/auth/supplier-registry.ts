import { readFileSync } from 'node:fs';
import { createPublicKey } from 'node:crypto';
import type { JSONWebKeySet } from 'jose';
import { ConfigError } from '../config/app-config';
import { PermissionSet } from './permissions';

export interface Client {
  clientId: string;
  jwks: JSONWebKeySet;
}

export interface Supplier {
  name: string;
  permissions: PermissionSet;
  grants: string[];
  /**
   * Roles beyond vaccine-type permissions: `patient-admin` may merge patients (POST /Patient/$merge),
   * `delta-reader` may read the flat delta export (GET /batch/delta).
   */
  roles: string[];
  clients: Client[];
  /** Requests per second, or null for no limit. */
  rateLimitPerSecond: number | null;
  /** ODS organisation codes the supplier sends batch files for (upper case). */
  odsCodes?: string[];
}

/** The registered suppliers (SUPPLIERS_FILE): who may call, with which keys, and what they may do. */
export class SupplierRegistry {
  private readonly byName = new Map<string, Supplier>();
  private readonly byClientId = new Map<string, Supplier>();

  constructor(suppliers: Supplier[]) {
    for (const s of suppliers) {
      this.byName.set(s.name, s);
      for (const c of s.clients) this.byClientId.set(c.clientId, s);
    }
  }

  static fromFile(file: string): SupplierRegistry {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new ConfigError(`SUPPLIERS_FILE ${file} cannot be read as JSON: ${(e as Error).message.split('\n')[0]}`);
    }
    try {
      return new SupplierRegistry(parseSuppliers(raw));
    } catch (e) {
      throw new ConfigError(`SUPPLIERS_FILE ${file}: ${(e as Error).message}`);
    }
  }

  supplier(name: string): Supplier | undefined {
    return this.byName.get(name);
  }

  byClient(clientId: string): Supplier | undefined {
    return this.byClientId.get(clientId);
  }

  client(clientId: string): Client | undefined {
    return this.byClientId.get(clientId)?.clients.find((c) => c.clientId === clientId);
  }

  /** The supplier that owns an ODS code (batch files), case-insensitive. */
  byOdsCode(code: string): Supplier | undefined {
    const c = code.toUpperCase();
    return this.all().find((s) => s.odsCodes?.includes(c));
  }

  all(): Supplier[] {
    return [...this.byName.values()];
  }
}

/** Every role a supplier may be given in the suppliers file. */
export const SUPPLIER_ROLES = ['patient-admin', 'delta-reader'] as const;

function parseSuppliers(raw: unknown): Supplier[] {
  const list = (raw as { suppliers?: unknown })?.suppliers;
  if (!Array.isArray(list)) throw new Error('expected {"suppliers":[…]}');
  const seenClients = new Set<string>();
  return list.map((s: Record<string, unknown>, i) => {
    const where = `suppliers[${i}]`;
    if (typeof s?.name !== 'string' || !s.name) throw new Error(`${where}.name must be a non-empty string`);
    const grants = s.permissions;
    if (!Array.isArray(grants) || grants.some((g) => typeof g !== 'string'))
      throw new Error(`${where}.permissions must be an array of strings`);
    const clients = Array.isArray(s.clients) ? s.clients : [];
    const rate = s.rateLimitPerSecond;
    if (rate !== undefined && rate !== null && !(typeof rate === 'number' && rate > 0))
      throw new Error(`${where}.rateLimitPerSecond must be a positive number`);
    const stringList = (v: unknown, field: string): string[] => {
      if (v === undefined) return [];
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || !x))
        throw new Error(`${where}.${field} must be an array of non-empty strings`);
      return v as string[];
    };
    const odsCodes = stringList(s.odsCodes, 'odsCodes').map((c) => c.toUpperCase());
    const roles = stringList(s.roles, 'roles');
    if (roles.some((r) => !(SUPPLIER_ROLES as readonly string[]).includes(r))) {
      throw new Error(`${where}.roles must be an array of ${SUPPLIER_ROLES.join(', ')}`);
    }
    let permissions: PermissionSet;
    try {
      permissions = new PermissionSet(grants as string[]);
    } catch (e) {
      throw new Error(`${where}.permissions: ${(e as Error).message}`);
    }
    return {
      name: s.name,
      grants: grants as string[],
      permissions,
      rateLimitPerSecond: typeof rate === 'number' ? rate : null,
      odsCodes,
      roles,
      clients: clients.map((c: Record<string, unknown>, j: number) => {
        const cw = `${where}.clients[${j}]`;
        if (typeof c?.clientId !== 'string' || !c.clientId) throw new Error(`${cw}.clientId must be a non-empty string`);
        if (seenClients.has(c.clientId)) throw new Error(`${cw}.clientId ${c.clientId} is registered twice`);
        seenClients.add(c.clientId);
        const keys = (c.jwks as { keys?: unknown })?.keys;
        if (!Array.isArray(keys)) throw new Error(`${cw}.jwks must be {"keys":[…]}`);
        keys.forEach((k: Record<string, unknown>, n: number) => {
          if (typeof k?.kid !== 'string' || !k.kid) throw new Error(`${cw}.jwks.keys[${n}] needs a kid`);
          if ('d' in k) throw new Error(`${cw}.jwks.keys[${n}] is a private key: register public keys only`);
          try {
            createPublicKey({ key: k as never, format: 'jwk' });
          } catch {
            throw new Error(`${cw}.jwks.keys[${n}] is not a usable public key`);
          }
        });
        return { clientId: c.clientId, jwks: c.jwks as JSONWebKeySet };
      }),
    };
  });
}
