import type { Immunization } from '@medplum/fhirtypes';
import { randomUUID } from 'node:crypto';
import { CommandHandler, ICommandHandler, QueryBus } from '@nestjs/cqrs';
import type { Principal } from '../../../auth/principal';
import { DomainError } from '../../../kernel/domain-error';
import { IncomingFacts, ImmunizationRecord, StoredImmunization } from '../../domain/immunization-record';
import { incomingFacts, storedFacts } from '../../domain/incoming-facts';
import { representation } from '../../domain/representation';
import { ImmunizationRepository } from '../../infrastructure/immunization.repository';
import { AppliedRow, ApplyImmunizationRow, ApplyImmunizationRows, RowAction, RowResult } from '../../public/apply-immunization-row.command';
import { assertCurrentNhsNumber } from '../assert-current-nhs-number';
import { ImmunizationWriter, Planned } from '../immunization-writer';
import { assertValidImmunization } from '../validate-body';

const label = (i: { system: string; value: string }) => `${i.system}|${i.value}`;

interface RowIn {
  action: RowAction;
  identifier: { system: string; value: string };
  body: Record<string, unknown> | null;
}

/** A NEW row's checks that need no stored state (validation first, as the API's create). */
function precheckNew(body: Record<string, unknown> | null): IncomingFacts {
  assertValidImmunization(body, { mode: 'create' });
  return incomingFacts(body);
}

/** The identifier a row's record is looked up by. */
const lookupKey = (r: RowIn, newFacts: IncomingFacts | undefined) => (r.action === 'NEW' ? newFacts!.identifier : r.identifier);

/** The row's decision against `stored` (the record holding its identifier), in the API's order: what it will write. */
function plan(r: RowIn, newFacts: IncomingFacts | undefined, stored: StoredImmunization | null, principal: Principal, at: Date): Planned {
  const supplier = principal.supplier.name;
  if (r.action === 'NEW') {
    const facts = newFacts!;
    const decision = ImmunizationRecord.decideCreate(stored, facts, principal);
    const id = stored?.id ?? randomUUID();
    const resource = representation(r.body as unknown as Immunization, id, decision.newVersion, at);
    return { decision, row: { id, facts, supplier, resource }, previous: stored };
  }
  if (r.action === 'UPDATE') {
    if (stored === null) throw DomainError.notFound(`No record has identifier ${label(r.identifier)}: nothing to update.`);
    const body = { ...(r.body ?? {}), id: stored.id };
    assertValidImmunization(body, { mode: 'update', pathId: stored.id });
    const facts = incomingFacts(body);
    // No E-Tag in a file: the update is based on whatever version is stored.
    const decision = ImmunizationRecord.decideUpdate(stored, stored.id, facts, { version: stored.version, via: 'E-Tag' }, principal);
    const resource = representation(body, stored.id, decision.newVersion, at);
    return { decision, row: { id: stored.id, facts, supplier, resource }, previous: stored };
  }
  if (stored === null || stored.deleted)
    throw DomainError.notFound(`No live record has identifier ${label(r.identifier)}: nothing to delete.`);
  const decision = ImmunizationRecord.decideDelete(stored, stored.id, principal);
  return { decision, row: { id: stored.id, facts: storedFacts(stored), supplier, resource: stored.resource }, previous: stored };
}

@CommandHandler(ApplyImmunizationRow)
export class ApplyImmunizationRowHandler implements ICommandHandler<ApplyImmunizationRow, AppliedRow> {
  constructor(
    private readonly writer: ImmunizationWriter,
    private readonly repo: ImmunizationRepository,
    private readonly queries: QueryBus,
  ) {}

  async execute(cmd: ApplyImmunizationRow): Promise<AppliedRow> {
    const newFacts = cmd.action === 'NEW' ? precheckNew(cmd.body) : undefined;
    const stored = (await this.repo.findForCreate(cmd.tx, lookupKey(cmd, newFacts), null)).byIdentifier;
    const at = new Date();
    const p = plan(cmd, newFacts, stored, cmd.principal, at);
    // As the API's create and update: a row must carry the patient's current NHS number.
    if (cmd.action !== 'DELETE') await assertCurrentNhsNumber(this.queries, p.row.facts.nhsNumber);
    const change = await this.writer.apply(cmd.tx, p.decision, { ...p.row, at, requestId: null }, p.previous);
    return { id: p.row.id, version: p.decision.newVersion, change };
  }
}

@CommandHandler(ApplyImmunizationRows)
export class ApplyImmunizationRowsHandler implements ICommandHandler<ApplyImmunizationRows, RowResult[]> {
  constructor(
    private readonly writer: ImmunizationWriter,
    private readonly repo: ImmunizationRepository,
    private readonly queries: QueryBus,
  ) {}

  async execute(cmd: ApplyImmunizationRows): Promise<RowResult[]> {
    const results: RowResult[] = new Array<RowResult>(cmd.rows.length);
    // Runs of rows with distinct identifiers; a repeated identifier starts the next run.
    let run: { i: number; newFacts?: IncomingFacts; key: string }[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < cmd.rows.length; i++) {
      const r = cmd.rows[i];
      let newFacts: IncomingFacts | undefined;
      if (r.action === 'NEW') {
        try {
          newFacts = precheckNew(r.body);
        } catch (e) {
          if (!(e instanceof DomainError)) throw e;
          results[i] = { ok: false, error: e };
          continue;
        }
      }
      const key = label(lookupKey(r, newFacts));
      if (seen.has(key)) {
        await this.applyRun(cmd, run, results);
        run = [];
        seen.clear();
      }
      seen.add(key);
      run.push({ i, newFacts, key });
    }
    await this.applyRun(cmd, run, results);
    return results;
  }

  private async applyRun(cmd: ApplyImmunizationRows, run: { i: number; newFacts?: IncomingFacts; key: string }[], results: RowResult[]) {
    if (run.length === 0) return;
    const stored = await this.repo.findByIdentifiers(
      cmd.tx,
      run.map((x) => lookupKey(cmd.rows[x.i], x.newFacts)),
    );
    const at = new Date();
    const planned: { i: number; p: Planned }[] = [];
    for (const x of run) {
      try {
        const row = cmd.rows[x.i];
        const p = plan(row, x.newFacts, stored.get(x.key) ?? null, cmd.principal, at);
        // As the API's create and update (no SQL while the Patient module's register is empty).
        if (row.action !== 'DELETE') await assertCurrentNhsNumber(this.queries, p.row.facts.nhsNumber);
        planned.push({ i: x.i, p });
      } catch (e) {
        if (!(e instanceof DomainError)) throw e;
        results[x.i] = { ok: false, error: e };
      }
    }
    const changes = await this.writer.applyMany(
      cmd.tx,
      planned.map((x) => x.p),
      at,
    );
    planned.forEach((x, k) => (results[x.i] = { ok: true, change: changes[k] }));
  }
}
