import type { Immunization } from '@medplum/fhirtypes';
import type { EventBus } from '@nestjs/cqrs';
import { PermissionSet } from '../../auth/permissions';
import type { Principal } from '../../auth/principal';
import type { AppConfig } from '../../config/app-config';
import { Database, Tx } from '../../database/database';
import { DomainError } from '../../kernel/domain-error';
import type { JsonLogger } from '../../logging/json-logger';
import { ImmunizationRecord, IncomingFacts, StoredImmunization } from '../domain/immunization-record';
import { ChangeProjectors } from '../public/change-projectors';
import type { ImmunizationChange } from '../public/immunization-change';
import { ImmunizationChanged } from '../public/immunization-changed.event';
import { ImmunizationWriter, Row } from './immunization-writer';
import { EventWrite, RecordWrites, RowWrite, VersionGuard } from './record-writes';

/**
 * The writer's storage seam in memory: the current rows and the event log, with the same guards
 * as the SQL (version and deleted-ness) and the unique live identifier. Only this spec uses it.
 */
class InMemoryRecordWrites extends RecordWrites {
  rows = new Map<string, RowWrite & { deleted: boolean }>();
  events: (EventWrite & { requestId: string | null })[] = [];
  calls: string[] = [];
  /** Makes the next guarded write find the row changed underneath, `n` times. */
  loseRaces = 0;

  snapshot() {
    return { rows: new Map([...this.rows].map(([k, v]) => [k, { ...v }])), events: [...this.events] };
  }
  restore(s: ReturnType<InMemoryRecordWrites['snapshot']>) {
    this.rows = s.rows;
    this.events = s.events;
  }

  private guardHolds(id: string, g: VersionGuard) {
    const r = this.rows.get(id);
    if (this.loseRaces > 0) {
      this.loseRaces--;
      return false;
    }
    return r !== undefined && r.version === g.expectedVersion && r.deleted === g.wasDeleted;
  }

  insert(_tx: Tx, w: RowWrite) {
    this.calls.push('insert');
    return Promise.resolve(this.put(w));
  }
  private put(w: RowWrite) {
    const live = [...this.rows.values()].some(
      (r) => !r.deleted && r.identifier.system === w.identifier.system && r.identifier.value === w.identifier.value,
    );
    if (live) throw Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' });
    this.rows.set(w.id, { ...w, deleted: false });
  }
  insertMany(_tx: Tx, writes: RowWrite[]) {
    this.calls.push(`insertMany(${writes.length})`);
    writes.forEach((w) => this.put(w));
    return Promise.resolve();
  }
  private update(w: RowWrite, guard: VersionGuard, stayDeleted: boolean) {
    if (!this.guardHolds(w.id, guard)) return false;
    this.rows.set(w.id, { ...w, deleted: stayDeleted });
    return true;
  }
  private markOne(id: string, expectedVersion: number) {
    if (!this.guardHolds(id, { expectedVersion, wasDeleted: false })) return false;
    this.rows.get(id)!.deleted = true;
    return true;
  }
  updateGuarded(_tx: Tx, w: RowWrite, guard: VersionGuard, o = { stayDeleted: false }) {
    this.calls.push('updateGuarded');
    return Promise.resolve(this.update(w, guard, o.stayDeleted));
  }
  updateGuardedMany(_tx: Tx, writes: { w: RowWrite; guard: VersionGuard; stayDeleted: boolean }[]) {
    this.calls.push(`updateGuardedMany(${writes.length})`);
    return Promise.resolve(writes.filter((x) => this.update(x.w, x.guard, x.stayDeleted)).length);
  }
  markDeleted(_tx: Tx, id: string, expectedVersion: number) {
    this.calls.push('markDeleted');
    return Promise.resolve(this.markOne(id, expectedVersion));
  }
  markDeletedMany(_tx: Tx, rows: { id: string; expectedVersion: number }[]) {
    this.calls.push(`markDeletedMany(${rows.length})`);
    return Promise.resolve(rows.filter((r) => this.markOne(r.id, r.expectedVersion)).length);
  }
  appendEvent(_tx: Tx, e: EventWrite & { requestId: string | null }) {
    this.calls.push('appendEvent');
    this.events.push({
      id: e.id,
      version: e.version,
      operation: e.operation,
      supplier: e.supplier,
      vaccineType: e.vaccineType,
      resource: e.resource,
      requestId: e.requestId,
    });
    return Promise.resolve();
  }
  appendEvents(_tx: Tx, events: EventWrite[]) {
    this.calls.push(`appendEvents(${events.length})`);
    this.events.push(...events.map((e) => ({ ...e, requestId: null })));
    return Promise.resolve();
  }
}

const principal: Principal = {
  clientId: 'c',
  supplier: { name: 'S', permissions: new PermissionSet(['*.CRUD']), grants: [], roles: [], clients: [], rateLimitPerSecond: null },
};
const facts = (value: string): IncomingFacts => ({
  vaccineType: 'FLU',
  nhsNumber: '9000000009',
  identifier: { system: 'https://s/ids', value },
  occurrence: '2024-01-01',
});
const resource = { resourceType: 'Immunization' } as Immunization;
const row = (id: string, value = id): Row => ({ id, facts: facts(value), supplier: 'S', resource });
const AT = new Date('2024-02-01T00:00:00Z');

/** The stored record as the repository would read it back. */
function storedOf(store: InMemoryRecordWrites, id: string): StoredImmunization {
  const r = store.rows.get(id)!;
  return {
    id,
    version: r.version,
    identifierSystem: r.identifier.system,
    identifierValue: r.identifier.value,
    vaccineType: r.vaccineType,
    nhsNumber: r.nhsNumber,
    occurrence: r.occurrence,
    supplier: r.supplier,
    deleted: r.deleted,
    resource: r.resource,
    lastUpdated: r.at,
  };
}

function setUp(listener: (c: ImmunizationChange) => void = () => undefined) {
  const store = new InMemoryRecordWrites();
  const transactions = { begun: 0, committed: 0 };
  // One transaction: all or nothing on the in-memory store, after-commit callbacks on success.
  const db = {
    async withTransaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
      transactions.begun++;
      const before = store.snapshot();
      const tx = new Tx(null as never);
      try {
        const result = await fn(tx);
        transactions.committed++;
        tx.runAfterCommit();
        return result;
      } catch (e) {
        store.restore(before);
        throw e;
      }
    },
  } as unknown as Database;
  const projected: ImmunizationChange[] = [];
  const projectors = new ChangeProjectors();
  projectors.register({ name: 'spy', project: (_tx, c) => Promise.resolve(void projected.push(c)) });
  const published: ImmunizationChange[] = [];
  const events = {
    publish: (e: ImmunizationChanged) => {
      published.push(e.change);
      listener(e.change);
    },
  } as unknown as EventBus;
  const warnings: string[] = [];
  const logger = { warn: (m: string) => void warnings.push(m) } as unknown as JsonLogger;
  const writer = new ImmunizationWriter(db, store, projectors, events, logger, {} as AppConfig);
  return { store, db, writer, projected, published, warnings, transactions };
}

/** A create through transact + apply, as the create handler does. */
const create = (w: ImmunizationWriter, id: string, value = id) =>
  w.transact(async (tx) => {
    const d = ImmunizationRecord.decideCreate(null, facts(value), principal);
    return { result: d.newVersion, change: await w.apply(tx, d, { ...row(id, value), at: AT, requestId: 'req-1' }, null) };
  });

describe('ImmunizationWriter (the write path, against an in-memory store)', () => {
  it('creates: one row insert, one event, the projections, and the change published after commit', async () => {
    const { store, writer, projected, published } = setUp();
    expect(await create(writer, 'a')).toBe(1);
    expect(store.calls).toEqual(['insert', 'appendEvent']);
    expect(store.rows.get('a')).toMatchObject({ version: 1, deleted: false, nhsNumber: '9000000009', at: AT });
    expect(store.events).toEqual([
      { id: 'a', version: 1, operation: 'CREATE', supplier: 'S', vaccineType: 'FLU', resource, requestId: 'req-1' },
    ]);
    expect(projected).toEqual([
      {
        id: 'a',
        version: 1,
        operation: 'CREATE',
        supplier: 'S',
        vaccineType: 'FLU',
        nhsNumber: '9000000009',
        occurrence: '2024-01-01',
        identifier: { system: 'https://s/ids', value: 'a' },
        resource,
        recordedAt: AT,
        previous: null,
      },
    ]);
    expect(published).toEqual(projected);
  });

  it('deletes with the guarded mark and keeps the version; a reinstating create is a guarded update to the next version', async () => {
    const { store, writer, projected } = setUp();
    await create(writer, 'a');
    await writer.transact(async (tx) => {
      const s = storedOf(store, 'a');
      const d = ImmunizationRecord.decideDelete(s, 'a', principal);
      return { result: null, change: await writer.apply(tx, d, { ...row('a'), at: AT, requestId: null }, s) };
    });
    expect(store.rows.get('a')).toMatchObject({ version: 1, deleted: true });
    await writer.transact(async (tx) => {
      const s = storedOf(store, 'a');
      const d = ImmunizationRecord.decideCreate(s, facts('a'), principal);
      return { result: null, change: await writer.apply(tx, d, { ...row('a'), at: AT, requestId: null }, s) };
    });
    expect(store.rows.get('a')).toMatchObject({ version: 2, deleted: false });
    expect(store.events.map((e) => `${e.operation} ${e.version}`)).toEqual(['CREATE 1', 'DELETE 1', 'UPDATE 2']);
    expect(projected.map((c) => c.previous)).toEqual([
      null,
      { vaccineType: 'FLU', nhsNumber: '9000000009', deleted: false },
      { vaccineType: 'FLU', nhsNumber: '9000000009', deleted: true },
    ]);
  });

  it('decides again when the guarded write loses a race, and gives up after three attempts with a contention error', async () => {
    const { store, writer, published, transactions } = setUp();
    await create(writer, 'a');
    const update = () =>
      writer.transact(async (tx) => {
        const s = storedOf(store, 'a');
        const d = ImmunizationRecord.decideUpdate(s, 'a', facts('a'), { version: s.version, via: 'E-Tag' }, principal);
        return { result: d.newVersion, change: await writer.apply(tx, d, { ...row('a'), at: AT, requestId: null }, s) };
      });

    store.loseRaces = 2;
    transactions.begun = 0;
    expect(await update()).toBe(2);
    expect(transactions.begun).toBe(3);
    expect(store.events.map((e) => e.version)).toEqual([1, 2]); // the lost attempts left nothing

    store.loseRaces = 3;
    const before = published.length;
    await expect(update()).rejects.toMatchObject({
      code: 'contention',
      message: 'The record kept changing while this request was applied; nothing was changed. Retry.',
    });
    expect(store.rows.get('a')!.version).toBe(2);
    expect(published.length).toBe(before);
  });

  it('retries a serialization failure from the top', async () => {
    const { store, writer, transactions } = setUp();
    const insert = store.insert.bind(store);
    let failures = 1;
    store.insert = (tx, w) =>
      failures-- > 0 ? Promise.reject(Object.assign(new Error('could not serialize'), { code: '40001' })) : insert(tx, w);
    expect(await create(writer, 'a')).toBe(1);
    expect(transactions.begun).toBe(2);
  });

  it('does not retry what the aggregate refused, and rolls back what the transaction had written', async () => {
    const { store, writer, transactions } = setUp();
    await create(writer, 'a');
    transactions.begun = 0;
    const refused = writer.transact(async (tx) => {
      await writer.apply(tx, ImmunizationRecord.decideCreate(null, facts('b'), principal), { ...row('b'), at: AT, requestId: null }, null);
      throw DomainError.invariant('refused after a write');
    });
    await expect(refused).rejects.toBeInstanceOf(DomainError);
    expect(transactions.begun).toBe(1);
    expect(store.rows.has('b')).toBe(false);
  });

  it('joins an outer transaction without retrying and publishes only after that one commits', async () => {
    const { db, store, writer, published } = setUp();
    await db.withTransaction(async (outer) => {
      await writer.transact(async (tx) => {
        const d = ImmunizationRecord.decideCreate(null, facts('a'), principal);
        return { result: null, change: await writer.apply(tx, d, { ...row('a'), at: AT, requestId: null }, null) };
      }, outer);
      expect(published).toEqual([]);
    });
    expect(published.map((c) => c.id)).toEqual(['a']);
    expect(store.rows.has('a')).toBe(true);
  });

  it('keeps a committed change committed when a listener of the published event throws', async () => {
    const { writer, store, warnings } = setUp(() => {
      throw new Error('listener broke');
    });
    expect(await create(writer, 'a')).toBe(1);
    expect(store.rows.has('a')).toBe(true);
    expect(warnings).toEqual(['event publish failed']);
  });

  it('applyMany writes a batch chunk as one statement per kind, then one for the events', async () => {
    const { store, writer, projected } = setUp();
    await create(writer, 'old');
    await create(writer, 'gone');
    store.calls = [];
    const old = storedOf(store, 'old');
    const gone = storedOf(store, 'gone');
    const changes = await writer.transact(async (tx) => {
      const c = await writer.applyMany(
        tx,
        [
          { decision: ImmunizationRecord.decideCreate(null, facts('new'), principal), row: row('new'), previous: null },
          {
            decision: ImmunizationRecord.decideUpdate(old, 'old', facts('old'), { version: 1, via: 'E-Tag' }, principal),
            row: row('old'),
            previous: old,
          },
          { decision: ImmunizationRecord.decideDelete(gone, 'gone', principal), row: row('gone'), previous: gone },
        ],
        AT,
      );
      return { result: c, change: c };
    });
    expect(store.calls).toEqual(['insertMany(1)', 'markDeletedMany(1)', 'updateGuardedMany(1)', 'appendEvents(3)']);
    expect(changes.map((c) => `${c.id} ${c.operation} ${c.version}`)).toEqual(['new CREATE 1', 'old UPDATE 2', 'gone DELETE 1']);
    expect(projected.slice(-3)).toEqual(changes);
    expect(store.rows.get('gone')!.deleted).toBe(true);
  });

  it('applyMany fails the whole chunk when one guard finds its row changed (the caller goes row by row)', async () => {
    const { store, writer } = setUp();
    await create(writer, 'a');
    const s = storedOf(store, 'a');
    store.loseRaces = 1;
    const chunk = writer.transact(async (tx) => {
      const items = [
        { decision: ImmunizationRecord.decideCreate(null, facts('b'), principal), row: row('b'), previous: null },
        { decision: ImmunizationRecord.decideDelete(s, 'a', principal), row: row('a'), previous: s },
      ];
      return { result: null, change: await writer.applyMany(tx, items, AT) };
    });
    // ConcurrentChange is retried from the top; on the next attempt the guard holds.
    await expect(chunk).resolves.toBeNull();
    expect(store.events.map((e) => `${e.id} ${e.operation}`)).toEqual(['a CREATE', 'b CREATE', 'a DELETE']);
  });

  it('applyBatch moves records (a patient merge) with one guarded update for the lot, deleted ones staying deleted', async () => {
    const { store, writer } = setUp();
    await create(writer, 'a');
    await create(writer, 'b');
    store.rows.get('b')!.deleted = true;
    store.calls = [];
    const items = ['a', 'b'].map((id) => {
      const s = storedOf(store, id);
      const decision = ImmunizationRecord.decideMove(s);
      return { decision, row: { ...row(id), facts: { ...facts(id), nhsNumber: '9000000017' } }, previous: s };
    });
    await writer.transact(async (tx) => ({ result: null, change: await writer.applyBatch(tx, items, AT) }));
    expect(store.calls).toEqual(['updateGuardedMany(2)', 'appendEvents(2)']);
    expect(store.rows.get('a')).toMatchObject({ version: 2, deleted: false, nhsNumber: '9000000017' });
    expect(store.rows.get('b')).toMatchObject({ version: 2, deleted: true, nhsNumber: '9000000017' });
  });

  it('applyBatch takes guarded updates of existing rows only', async () => {
    const { writer } = setUp();
    const create = {
      decision: ImmunizationRecord.decideCreate(null, facts('a'), principal),
      row: row('a'),
      previous: {} as StoredImmunization,
    };
    await expect(writer.applyBatch(new Tx(null as never), [create], AT)).rejects.toThrow(
      'applyBatch takes guarded updates of existing rows only',
    );
  });
});
