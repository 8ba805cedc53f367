import type { Immunization } from '@medplum/fhirtypes';
import { PermissionSet } from '../../auth/permissions';
import type { Principal } from '../../auth/principal';
import { DomainError, DomainErrorCode } from '../../kernel/domain-error';
import { ConcurrentChange, ImmunizationRecord, IncomingFacts, StoredImmunization, WriteDecision } from './immunization-record';

const principal = (...grants: string[]): Principal => ({
  clientId: 'c',
  supplier: { name: 'S', permissions: new PermissionSet(grants), grants, roles: [], clients: [], rateLimitPerSecond: null },
});

const ID = { system: 'https://supplier.example/ids', value: 'v1' };
const facts = (o: Partial<IncomingFacts> = {}): IncomingFacts => ({
  vaccineType: 'FLU',
  nhsNumber: '9000000009',
  identifier: ID,
  occurrence: '2024-01-01',
  ...o,
});
const stored = (o: Partial<StoredImmunization> = {}): StoredImmunization => ({
  id: 'r1',
  version: 1,
  identifierSystem: ID.system,
  identifierValue: ID.value,
  vaccineType: 'FLU',
  nhsNumber: '9000000009',
  occurrence: '2024-01-01',
  supplier: 'S',
  deleted: false,
  resource: { resourceType: 'Immunization' } as Immunization,
  lastUpdated: new Date(0),
  ...o,
});

/** The refusal `f` throws: its code and first diagnostics. */
function refusal(f: () => unknown): { code: DomainErrorCode; diagnostics: string } {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError);
    return { code: (e as DomainError).code, diagnostics: (e as DomainError).issues[0].diagnostics };
  }
  throw new Error('no refusal');
}

/** What a decision writes, without its conflict callback. */
const shape = ({ onConflict: _, ...d }: WriteDecision) => d;

describe('ImmunizationRecord (the aggregate: docs/validation-rules.md §7)', () => {
  const crud = principal('FLU.CRUD');

  describe('decideCreate', () => {
    it('creates version 1 with an INSERT when no record holds the identifier', () => {
      expect(shape(ImmunizationRecord.decideCreate(null, facts(), crud))).toEqual({ operation: 'CREATE', newVersion: 1, guard: null });
    });

    it('refuses a supplier without create on the vaccine type, before looking for duplicates', () => {
      expect(refusal(() => ImmunizationRecord.decideCreate(stored(), facts(), principal('FLU.RUD', 'COVID.C')))).toEqual({
        code: 'forbidden',
        diagnostics: 'Supplier S may not create records of vaccine type FLU.',
      });
    });

    it('refuses a live record with the identifier as a duplicate', () => {
      expect(refusal(() => ImmunizationRecord.decideCreate(stored(), facts(), crud))).toEqual({
        code: 'duplicate',
        diagnostics: `A live record already has identifier ${ID.system}|${ID.value}.`,
      });
    });

    it('reinstates a deleted record with the identifier as its next version, guarded on it staying deleted', () => {
      expect(shape(ImmunizationRecord.decideCreate(stored({ version: 3, deleted: true }), facts(), crud))).toEqual({
        operation: 'UPDATE',
        newVersion: 4,
        guard: { expectedVersion: 3, wasDeleted: true },
      });
    });

    it('answers a lost race (the identifier taken meanwhile) as a duplicate', () => {
      for (const existing of [null, stored({ deleted: true })]) {
        const e = ImmunizationRecord.decideCreate(existing, facts(), crud).onConflict();
        expect(e).toBeInstanceOf(DomainError);
        expect((e as DomainError).code).toBe('duplicate');
        expect((e as DomainError).issues[0].expression).toBe('Immunization.identifier[0]');
      }
    });
  });

  describe('decideUpdate', () => {
    const eTag = (version: number) => ({ version, via: 'E-Tag' as const });

    it('updates to the next version, guarded on the version it was based on', () => {
      const d = ImmunizationRecord.decideUpdate(stored({ version: 2 }), 'r1', facts(), eTag(2), crud);
      expect(shape(d)).toEqual({ operation: 'UPDATE', newVersion: 3, guard: { expectedVersion: 2, wasDeleted: false } });
      expect(d.onConflict()).toBeInstanceOf(ConcurrentChange);
    });

    it('answers an unknown id with not-found', () => {
      expect(refusal(() => ImmunizationRecord.decideUpdate(null, 'nope', facts(), eTag(1), crud))).toEqual({
        code: 'not-found',
        diagnostics: 'Immunization nope does not exist.',
      });
    });

    it('needs update on both the stored and the incoming vaccine type', () => {
      const toCovid = () => ImmunizationRecord.decideUpdate(stored(), 'r1', facts({ vaccineType: 'COVID' }), eTag(1), principal('FLU.U'));
      expect(refusal(toCovid)).toEqual({ code: 'forbidden', diagnostics: 'Supplier S may not update records of vaccine type COVID.' });
      const fromFlu = () => ImmunizationRecord.decideUpdate(stored(), 'r1', facts({ vaccineType: 'COVID' }), eTag(1), principal('COVID.U'));
      expect(refusal(fromFlu)).toEqual({ code: 'forbidden', diagnostics: 'Supplier S may not update records of vaccine type FLU.' });
      expect(() =>
        ImmunizationRecord.decideUpdate(stored(), 'r1', facts({ vaccineType: 'COVID' }), eTag(1), principal('FLU.U', 'COVID.U')),
      ).not.toThrow();
    });

    it('checks permissions before the identifier and the version', () => {
      const d = () =>
        ImmunizationRecord.decideUpdate(
          stored({ version: 5 }),
          'r1',
          facts({ identifier: { ...ID, value: 'x' } }),
          eTag(1),
          principal('FLU.R'),
        );
      expect(refusal(d).code).toBe('forbidden');
    });

    it('refuses a changed identifier', () => {
      const d = () => ImmunizationRecord.decideUpdate(stored(), 'r1', facts({ identifier: { ...ID, value: 'other' } }), eTag(1), crud);
      expect(refusal(d)).toEqual({
        code: 'invariant',
        diagnostics: `identifier must stay ${ID.system}|${ID.value}: a record's identifier cannot be changed.`,
      });
    });

    it.each<['E-Tag' | 'If-Match', DomainErrorCode]>([
      ['E-Tag', 'invariant'],
      ['If-Match', 'version-conflict'],
    ])('refuses a stale version sent as %s with %s', (via, code) => {
      const d = () => ImmunizationRecord.decideUpdate(stored({ version: 3 }), 'r1', facts(), { version: 2, via }, crud);
      expect(refusal(d)).toEqual({ code, diagnostics: 'The record is at version 3, not 2: read it again and reapply the change.' });
    });

    it('reinstates a deleted record whatever version was sent (NHS parity), guarded on it staying deleted', () => {
      const d = ImmunizationRecord.decideUpdate(stored({ version: 4, deleted: true }), 'r1', facts(), eTag(1), crud);
      expect(shape(d)).toEqual({ operation: 'UPDATE', newVersion: 5, guard: { expectedVersion: 4, wasDeleted: true } });
      expect(d.onConflict()).toBeInstanceOf(ConcurrentChange);
    });

    it('still checks permissions and the identifier when reinstating', () => {
      expect(
        refusal(() => ImmunizationRecord.decideUpdate(stored({ deleted: true }), 'r1', facts(), eTag(1), principal('FLU.C'))).code,
      ).toBe('forbidden');
      const changed = facts({ identifier: { ...ID, value: 'other' } });
      expect(refusal(() => ImmunizationRecord.decideUpdate(stored({ deleted: true }), 'r1', changed, eTag(1), crud)).code).toBe(
        'invariant',
      );
    });
  });

  describe('decideDelete', () => {
    it('deletes keeping the version number, guarded on the live row at that version', () => {
      const d = ImmunizationRecord.decideDelete(stored({ version: 2 }), 'r1', crud);
      expect(shape(d)).toEqual({ operation: 'DELETE', newVersion: 2, guard: { expectedVersion: 2, wasDeleted: false } });
      expect(d.onConflict()).toBeInstanceOf(ConcurrentChange);
    });

    it('answers a missing or already deleted record with not-found', () => {
      for (const s of [null, stored({ deleted: true })]) {
        expect(refusal(() => ImmunizationRecord.decideDelete(s, 'r1', crud))).toEqual({
          code: 'not-found',
          diagnostics: 'Immunization r1 does not exist.',
        });
      }
    });

    it('refuses a supplier without delete on the record’s vaccine type', () => {
      expect(refusal(() => ImmunizationRecord.decideDelete(stored(), 'r1', principal('FLU.CRU')))).toEqual({
        code: 'forbidden',
        diagnostics: 'Supplier S may not delete records of vaccine type FLU.',
      });
    });
  });

  describe('decideMove (a patient merge)', () => {
    it('gives a live record its next version, with no permission check', () => {
      expect(shape(ImmunizationRecord.decideMove(stored({ version: 2 })))).toEqual({
        operation: 'UPDATE',
        newVersion: 3,
        guard: { expectedVersion: 2, wasDeleted: false },
      });
    });

    it('records a deleted record’s new version as a DELETE so it is not mistaken for a reinstatement', () => {
      expect(shape(ImmunizationRecord.decideMove(stored({ version: 2, deleted: true })))).toEqual({
        operation: 'DELETE',
        newVersion: 3,
        guard: { expectedVersion: 2, wasDeleted: true },
      });
    });
  });

  it('numbers versions as NHS does: create 1, delete keeps 1, reinstate 2, update 3', () => {
    const create = ImmunizationRecord.decideCreate(null, facts(), crud);
    const afterCreate = stored({ version: create.newVersion });
    const del = ImmunizationRecord.decideDelete(afterCreate, 'r1', crud);
    const afterDelete = stored({ version: del.newVersion, deleted: true });
    const reinstate = ImmunizationRecord.decideCreate(afterDelete, facts(), crud);
    const afterReinstate = stored({ version: reinstate.newVersion });
    const update = ImmunizationRecord.decideUpdate(afterReinstate, 'r1', facts(), { version: 2, via: 'If-Match' }, crud);
    expect([create, del, reinstate, update].map((d) => [d.operation, d.newVersion])).toEqual([
      ['CREATE', 1],
      ['DELETE', 1],
      ['UPDATE', 2],
      ['UPDATE', 3],
    ]);
  });

  it('assertCanRead needs read on the vaccine type', () => {
    expect(() => ImmunizationRecord.assertCanRead('FLU', principal('FLU.R'))).not.toThrow();
    expect(refusal(() => ImmunizationRecord.assertCanRead('FLU', principal('FLU.CUD', 'COVID.R')))).toEqual({
      code: 'forbidden',
      diagnostics: 'Supplier S may not read records of vaccine type FLU.',
    });
  });
});
