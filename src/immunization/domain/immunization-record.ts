import type { Immunization } from '@medplum/fhirtypes';
import type { Principal } from '../../auth/principal';
import { DomainError } from '../../kernel/domain-error';
import type { ChangeOperation } from '../public/immunization-change';
import { staleVersion, VersionPrecondition } from './version-precondition';

/** What the write side knows about a record: the current row of the `immunization` table. */
export interface StoredImmunization {
  id: string;
  version: number;
  identifierSystem: string;
  identifierValue: string;
  vaccineType: string;
  nhsNumber: string | null;
  occurrence: string;
  supplier: string;
  deleted: boolean;
  resource: Immunization;
  lastUpdated: Date;
}

/** Facts derived from a validated incoming resource. */
export interface IncomingFacts {
  vaccineType: string;
  nhsNumber: string | null;
  identifier: { system: string; value: string };
  occurrence: string;
}

/**
 * What the aggregate decided a write should do. `expectedVersion`/`wasDeleted` guard the SQL write;
 * an UPDATE guarded on a deleted row is a reinstatement.
 */
export interface WriteDecision {
  operation: ChangeOperation;
  newVersion: number;
  /** null: insert a new row; else the version-guarded UPDATE of the existing row. */
  guard: { expectedVersion: number; wasDeleted: boolean } | null;
  /** The error to throw when the guarded write finds the row changed underneath. */
  onConflict: () => Error;
}

/** The row moved between read and write, and the decision should simply be taken again. */
export class ConcurrentChange extends Error {
  constructor() {
    super('concurrent change; retry');
  }
}

const typeLabel = (t: string) => `vaccine type ${t}`;

/**
 * The Immunization aggregate's decisions (pure): permissions, duplicates, reinstatement and
 * versioning, in the order the contract gives (docs/validation-rules.md §7). Version numbers follow NHS
 * parity: create 1, each update or reinstate +1, delete keeps the number.
 */
export const ImmunizationRecord = {
  decideCreate(existing: StoredImmunization | null, incoming: IncomingFacts, who: Principal): WriteDecision {
    if (!who.supplier.permissions.allows('create', incoming.vaccineType)) {
      throw DomainError.forbidden(`Supplier ${who.supplier.name} may not create records of ${typeLabel(incoming.vaccineType)}.`);
    }
    const duplicate = () =>
      DomainError.duplicate(
        `A live record already has identifier ${incoming.identifier.system}|${incoming.identifier.value}.`,
        'Immunization.identifier[0]',
      );
    if (existing === null) return { operation: 'CREATE', newVersion: 1, guard: null, onConflict: duplicate };
    if (!existing.deleted) throw duplicate();
    // Creating with a deleted record's identifier brings that record back, as its next version.
    return {
      operation: 'UPDATE',
      newVersion: existing.version + 1,
      guard: { expectedVersion: existing.version, wasDeleted: true },
      onConflict: duplicate,
    };
  },

  decideUpdate(
    stored: StoredImmunization | null,
    id: string,
    incoming: IncomingFacts,
    precondition: VersionPrecondition,
    who: Principal,
  ): WriteDecision {
    if (stored === null) throw DomainError.notFound(`Immunization ${id} does not exist.`);
    for (const t of new Set([stored.vaccineType, incoming.vaccineType])) {
      if (!who.supplier.permissions.allows('update', t)) {
        throw DomainError.forbidden(`Supplier ${who.supplier.name} may not update records of ${typeLabel(t)}.`);
      }
    }
    if (incoming.identifier.system !== stored.identifierSystem || incoming.identifier.value !== stored.identifierValue) {
      throw DomainError.invariant(
        `identifier must stay ${stored.identifierSystem}|${stored.identifierValue}: a record's identifier cannot be changed.`,
        'Immunization.identifier[0]',
      );
    }
    if (stored.deleted) {
      // Updating a deleted record reinstates it; no version check applies (NHS parity).
      return {
        operation: 'UPDATE',
        newVersion: stored.version + 1,
        guard: { expectedVersion: stored.version, wasDeleted: true },
        // Someone reinstated it first: decide again on fresh state (then the version check applies).
        onConflict: () => new ConcurrentChange(),
      };
    }
    if (precondition.version !== stored.version) throw staleVersion(precondition, stored.version);
    return {
      operation: 'UPDATE',
      newVersion: stored.version + 1,
      guard: { expectedVersion: stored.version, wasDeleted: false },
      // Another write won the race between our read and our write. Not necessarily an update (a
      // delete keeps the number, so "version N+1" would be false): decide again on fresh state,
      // which answers the stale version with the version the record really has, or reinstates.
      onConflict: () => new ConcurrentChange(),
    };
  },

  decideDelete(stored: StoredImmunization | null, id: string, who: Principal): WriteDecision {
    if (stored === null || stored.deleted) throw DomainError.notFound(`Immunization ${id} does not exist.`);
    if (!who.supplier.permissions.allows('delete', stored.vaccineType)) {
      throw DomainError.forbidden(`Supplier ${who.supplier.name} may not delete records of ${typeLabel(stored.vaccineType)}.`);
    }
    return {
      operation: 'DELETE',
      newVersion: stored.version,
      guard: { expectedVersion: stored.version, wasDeleted: false },
      // Someone changed or deleted it between our read and our write: decide again on fresh state.
      onConflict: () => new ConcurrentChange(),
    };
  },

  /**
   * A patient merge moves the record to the surviving NHS number: a new version (no permission or
   * version check: the Patient module decided). A deleted record stays deleted: its new version is
   * recorded as a DELETE so no reader mistakes it for a reinstatement.
   */
  decideMove(stored: StoredImmunization): WriteDecision {
    return {
      operation: stored.deleted ? 'DELETE' : 'UPDATE',
      newVersion: stored.version + 1,
      guard: { expectedVersion: stored.version, wasDeleted: stored.deleted },
      onConflict: () => new ConcurrentChange(),
    };
  },

  /** read/vread/history: `r` on the record's vaccine type. */
  assertCanRead(vaccineType: string, who: Principal) {
    if (!who.supplier.permissions.allows('read', vaccineType)) {
      throw DomainError.forbidden(`Supplier ${who.supplier.name} may not read records of ${typeLabel(vaccineType)}.`);
    }
  },
};
