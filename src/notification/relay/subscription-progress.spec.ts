import type { DeliveryOutcome } from '../delivery/delivery-outcome';
import { parseCriteria } from '../domain/criteria';
import type { Cursor, OutboxRow, ProgressRecord } from '../infrastructure/notification-rows';
import { Held, ProgressStart, RetryRules, SubscriptionProgress } from './subscription-progress';

const E = 'eventType=imms-vaccination-record-change-1';
const AT = new Date('2026-01-02T03:04:05.000Z');
const OK: DeliveryOutcome = { ok: true, statusCode: 200, error: null, reason: null, durationMs: 7 };
const FAILED: DeliveryOutcome = { ok: false, statusCode: 503, error: 'HTTP 503', reason: 'http_status', durationMs: 9 };
const ABORTED: DeliveryOutcome = { ok: false, statusCode: null, error: 'aborted', reason: 'aborted', durationMs: 1 };
const ACTIVE: Held = { version: 1, status: 'active' };

/** Outbox row n: txid 100 + n, seq n; op and type as given. */
const row = (n: number, op: 'CREATE' | 'UPDATE' | 'DELETE' = 'CREATE', vaccineType = 'FLU'): OutboxRow => ({
  seq: String(n),
  txid: String(100 + n),
  immunization_id: `imm-${n}`,
  version: 1,
  operation: op,
  supplier: 'EMIS',
  vaccine_type: vaccineType,
  nhs_number: '9000000009',
  source_organisation: 'B0C4P',
  subject_age: 30,
  recorded_at: AT,
});
const at = (n: number): Cursor => ({ txid: String(100 + n), seq: String(n) });

const RULES: RetryRules = { maxAttempts: 3, retryBaseMs: 100, retryMaxMs: 1000, random: () => 0.5 };

function progress(s: Partial<ProgressStart> & { criteria?: string } = {}, rules: Partial<RetryRules> = {}) {
  const { criteria, ...rest } = s;
  return new SubscriptionProgress(
    {
      id: 'sub-1',
      owner: 'relay-1',
      version: 1,
      mayRead: () => true,
      cursor: at(0),
      eventCount: 0n,
      failedAttempts: 0,
      ...rest,
      criteria: parseCriteria(criteria ?? E),
    },
    { ...RULES, ...rules },
  );
}

/**
 * Plays rows through the decider as the worker does, with a record after every delivery applied
 * to an in-memory stand-in for the subscription row, fenced like the SQL (fromCount must match).
 * Returns what was done, one word per row, and where the stand-in ends.
 */
function play(p: SubscriptionProgress, rows: [OutboxRow, DeliveryOutcome?][], stored = { count: 0n, cursor: at(0) }) {
  const log: string[] = [];
  const apply = (r: ProgressRecord) => {
    expect(r.fromCount).toBe(String(stored.count)); // the fence: never a gap, never a reuse
    stored = { count: BigInt(r.count), cursor: r.to };
    p.confirm(r, ACTIVE);
  };
  for (const [r, outcome = OK] of rows) {
    const step = p.next(r);
    if (step.kind === 'skip') {
      log.push(`skip ${r.seq}`);
      continue;
    }
    const action = p.outcome(r, step.eventNumber, outcome, AT);
    log.push(`${action.kind} #${step.eventNumber}`);
    if (action.kind === 'stop') break;
    if (action.kind === 'fail') {
      const before = p.takeRecord(); // the worker settles first
      if (before) apply(before);
      expect(action.failure.fromCount).toBe(String(stored.count));
      stored = { ...stored, cursor: action.failure.to };
      return { log, stored, failure: action };
    }
    const rec = p.takeRecord();
    if (rec) apply(rec);
  }
  const last = p.finish();
  if (last) apply(last);
  return { log, stored, failure: null };
}

describe('SubscriptionProgress', () => {
  it.each([
    ['numbers from 1 on a new subscription', 0n, [1, 2, 3], ['record #1', 'record #2', 'record #3'], 3n],
    ['numbers on from the recorded count after a restart', 41n, [7, 8], ['record #42', 'record #43'], 43n],
  ])('%s, gap-free', (_title, eventCount, ns, log, count) => {
    const p = progress({ eventCount });
    const out = play(
      p,
      ns.map((n) => [row(n)]),
      { count: eventCount, cursor: at(0) },
    );
    expect(out.log).toEqual(log);
    expect(out.stored).toEqual({ count, cursor: at(ns[ns.length - 1]) });
  });

  it.each([
    ['action filter', `${E}&action=delete`, () => true, [row(1), row(2, 'UPDATE'), row(3, 'DELETE')], ['skip 1', 'skip 2', 'record #1']],
    ['vaccine type filter', `${E}&immunisationtype=FLU`, () => true, [row(1, 'CREATE', 'MMR'), row(2)], ['skip 1', 'record #1']],
    [
      'supplier may no longer read the type',
      E,
      (t: string) => t !== 'MMR',
      [row(1), row(2, 'CREATE', 'MMR'), row(3)],
      ['record #1', 'skip 2', 'record #2'],
    ],
  ])('passes over rows ruled out by the %s, without a number', (_title, criteria, mayRead, rows, log) => {
    const out = play(
      progress({ criteria, mayRead }),
      rows.map((r) => [r]),
    );
    expect(out.log).toEqual(log);
    expect(out.stored.cursor).toEqual(at(rows.length)); // skipped rows are passed for good
  });

  it('records rows passed over at the end in the statement that gives the lease back, count unchanged', () => {
    const p = progress({ criteria: `${E}&action=delete`, eventCount: 5n });
    expect(p.next(row(1))).toEqual({ kind: 'skip' });
    expect(p.next(row(2))).toEqual({ kind: 'skip' });
    expect(p.unrecorded).toBe(false); // nothing to wait for
    expect(p.finish()).toEqual({ fromCount: '5', count: '5', to: at(2), release: true, attempts: [] });
  });

  it('gives the lease back without a record when nothing moved', () => {
    const p = progress();
    expect(p.finish()).toBeNull();
    const q = progress();
    q.outcome(row(1), '1', OK, AT);
    q.confirm(q.takeRecord()!, ACTIVE);
    expect(q.finish()).toBeNull();
  });

  it('records a failure after the earlier deliveries, with the cursor just before the failing row', () => {
    const out = play(progress({ criteria: `${E}&action=create` }), [[row(1)], [row(2, 'UPDATE')], [row(3), FAILED], [row(4)]]);
    expect(out.log).toEqual(['record #1', 'skip 2', 'fail #2']);
    expect(out.failure).toMatchObject({
      failure: {
        fromCount: '1',
        to: at(2),
        maxAttempts: 3,
        attempt: {
          subscriptionId: 'sub-1',
          eventNumber: '2',
          outboxSeq: '3',
          immunizationId: 'imm-3',
          at: AT,
          outcome: 'failed',
          statusCode: 503,
          error: 'HTTP 503',
          relayInstance: 'relay-1',
        },
      },
    });
    expect(out.stored).toEqual({ count: 1n, cursor: at(2) });
  });

  it('says in the error which event failed, how often, and how to resume', () => {
    const action = progress({ failedAttempts: 2, eventCount: 4n }).outcome(row(1), '5', FAILED, AT);
    expect(action.kind === 'fail' && action.failure.errorText).toBe(
      'Delivery of event-number 5 failed 3 times in a row; the last attempt at 2026-01-02T03:04:05.000Z got HTTP 503. ' +
        'Update the subscription with status active to resume from that event.',
    );
    const once = progress({}, { maxAttempts: 1 }).outcome(row(1), '1', { ...FAILED, error: null }, AT);
    expect(once.kind === 'fail' && once.failure.errorText).toContain(
      'failed 1 time in a row; the last attempt at 2026-01-02T03:04:05.000Z got no answer.',
    );
  });

  it('a delivery clears the failure streak', () => {
    const p = progress({ failedAttempts: 2 });
    p.next(row(1));
    expect(p.outcome(row(1), '1', OK, AT)).toEqual({ kind: 'record' });
    p.next(row(2));
    expect(p.outcome(row(2), '2', FAILED, AT)).toMatchObject({ kind: 'fail', failure: { delayMs: 50 } }); // failure 1 again
  });

  it('resumes after error (PUT back to active) at the event that failed, with the same number', () => {
    const failed = play(progress(), [[row(1)], [row(2), FAILED]], { count: 0n, cursor: at(0) });
    expect(failed.log).toEqual(['record #1', 'fail #2']);
    // The PUT clears failed_attempts and keeps the cursor and count the failure left.
    const resumed = play(progress({ cursor: failed.stored.cursor, eventCount: failed.stored.count }), [[row(2)], [row(3)]], failed.stored);
    expect(resumed.log).toEqual(['record #2', 'record #3']);
    expect(resumed.stored).toEqual({ count: 3n, cursor: at(3) });
  });

  it.each([
    // [failures in a row including this one, random, expected delay] with base 100 ms, max 1000 ms:
    // full jitter under base * 2^(n-1), capped; the streak comes from the claimed failed_attempts
    [1, 0.5, 50],
    [2, 0.5, 100],
    [3, 0.5, 200],
    [4, 0.5, 400],
    [5, 0.5, 500],
    [9, 0.5, 500],
    [3, 0, 0],
    [3, 0.999, 399],
  ])('failure %i with jitter %d waits %i ms', (failures, random, delayMs) => {
    const action = progress({ failedAttempts: failures - 1 }, { maxAttempts: 99, random: () => random }).outcome(row(1), '1', FAILED, AT);
    expect(action).toMatchObject({ kind: 'fail', failure: { delayMs } });
  });

  it('a delivery cut off by shutdown is not recorded: the next holder sends it with the same number', () => {
    const p = progress({ eventCount: 2n });
    expect(p.next(row(1))).toEqual({ kind: 'deliver', eventNumber: '3' });
    expect(p.outcome(row(1), '3', ABORTED, AT)).toEqual({ kind: 'stop' });
    expect(p.unrecorded).toBe(false);
    expect(p.finish()).toBeNull();
    expect(p.next(row(1))).toEqual({ kind: 'deliver', eventNumber: '3' });
  });

  it('coalesces records when deliveries outpace the database, each fenced on the count before it', () => {
    const p = progress();
    for (const n of [1, 2]) p.outcome(row(n), String(n), OK, AT);
    const first = p.takeRecord()!;
    expect(first).toMatchObject({ fromCount: '0', count: '2', to: at(2), release: false });
    expect(first.attempts.map((a) => [a.eventNumber, a.outcome, a.durationMs])).toEqual([
      ['1', 'delivered', 7],
      ['2', 'delivered', 7],
    ]);
    // A delivery while the first record is in flight: the next record starts where the first ends.
    p.outcome(row(3), '3', OK, AT);
    expect(p.confirm(first, ACTIVE)).toBe(true);
    const second = p.takeRecord()!;
    expect(second).toMatchObject({ fromCount: '2', count: '3', to: at(3) });
    expect(second.attempts.map((a) => a.eventNumber)).toEqual(['3']);
    p.confirm(second, ACTIVE);
    expect(p.unrecorded).toBe(false);
    expect(p.takeRecord()).toBeNull();
  });

  it.each([
    ['changed by a PUT', { version: 2, status: 'active' }, false],
    ['put in error', { version: 1, status: 'error' }, false],
    ['turned off', { version: 1, status: 'off' }, false],
    ['unchanged', { version: 1, status: 'active' }, true],
  ] as [string, Held, boolean][])('a record that finds the subscription %s says whether to carry on', (_title, held, current) => {
    const p = progress();
    p.outcome(row(1), '1', OK, AT);
    expect(p.confirm(p.takeRecord()!, held)).toBe(current);
  });

  it.each([
    ['the lease is gone', 'lost', null, 5, 0],
    ['a PUT changed it', 'reclaim', { version: 2, status: 'active' }, 5, 0],
    ['it was put in error', 'reclaim', { version: 1, status: 'error' }, 5, 0],
    ['there are rows', 'work', ACTIVE, 5, 2],
    ['caught up, first time', 'linger', ACTIVE, 0, 0],
    ['caught up, third time', 'linger', ACTIVE, 0, 2],
    ['caught up for good', 'finish', ACTIVE, 0, 3],
  ] as [string, string, Held | null, number, number][])('after a read when %s: %s', (_title, action, held, rows, idle) => {
    expect(progress().afterRead(held, rows, idle, 3)).toBe(action);
  });
});
