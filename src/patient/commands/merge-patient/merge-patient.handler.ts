import { CommandBus, CommandHandler, EventBus, ICommandHandler } from '@nestjs/cqrs';
import { Database, isRetryableTxFailure, Tx } from '../../../database/database';
import { DomainError } from '../../../kernel/domain-error';
import { MovePatientRecords } from '../../../immunization/public';
import { JsonLogger } from '../../../logging/json-logger';
import { PatientRegisterRepository } from '../../infrastructure/patient-register.repository';
import { NhsNumber } from '../../../kernel/terminology';
import { PatientRegister } from '../../patient-register';
import { PatientMerged } from '../../public/patient-merged.event';
import { MergePatient, MergeResult } from './merge-patient.command';

const MAX_ATTEMPTS = 3;
export const PATIENT_ADMIN_ROLE = 'patient-admin';

/**
 * Contract §7. One transaction: the register entry (old → current, chains compressed) and the
 * Immunization module's MovePatientRecords, which writes every record of the old number(s)
 * through its own write path inside this transaction. All or nothing; PatientMerged after commit.
 */
@CommandHandler(MergePatient)
export class MergePatientHandler implements ICommandHandler<MergePatient, MergeResult> {
  constructor(
    private readonly db: Database,
    private readonly repo: PatientRegisterRepository,
    private readonly register: PatientRegister,
    private readonly commands: CommandBus,
    private readonly events: EventBus,
    private readonly logger: JsonLogger,
  ) {}

  async execute(cmd: MergePatient): Promise<MergeResult> {
    const problems: { diagnostics: string; expression: string }[] = [];
    for (const [name, value] of [
      ['source-patient-identifier', cmd.from],
      ['target-patient-identifier', cmd.to],
    ] as const) {
      const problem = NhsNumber.problem(value);
      if (problem)
        problems.push({
          diagnostics: `${name}: the NHS number ${problem}.`,
          expression: `Parameters.parameter.where(name='${name}').valueIdentifier.value`,
        });
    }
    if (problems.length) throw DomainError.invariants(problems);
    if (cmd.from === cmd.to)
      throw DomainError.invariant('source-patient-identifier and target-patient-identifier must be different NHS numbers.');
    if (cmd.principal && !cmd.principal.supplier.roles.includes(PATIENT_ADMIN_ROLE)) {
      throw DomainError.forbidden(`Supplier ${cmd.principal.supplier.name} may not merge patients (needs the ${PATIENT_ADMIN_ROLE} role).`);
    }

    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.db.withTransaction((tx) => this.merge(tx, cmd));
        this.logger.info('patient merged', {
          from: cmd.from,
          to: result.current,
          moved: result.moved,
          recorded: result.recorded,
          by: cmd.recordedBy,
        });
        try {
          this.events.publish(new PatientMerged(cmd.from, result.current, result.moved, cmd.recordedBy));
        } catch (e) {
          this.logger.warn('event publish failed', { error: (e as Error).message });
        }
        return result;
      } catch (e) {
        // Serialization failure or deadlock (e.g. with a concurrent update of a record): from the top.
        if (attempt < MAX_ATTEMPTS && isRetryableTxFailure(e)) continue;
        throw e;
      }
    }
  }

  private async merge(tx: Tx, cmd: MergePatient): Promise<MergeResult> {
    await this.repo.lockForMerge(tx);
    const known = await this.repo.findBoth(tx, cmd.from, cmd.to);
    const source = known.get(cmd.from) ?? null;
    const target = known.get(cmd.to) ?? null;
    if (target?.status === 'invalidated') throw DomainError.invariant('target-patient-identifier: the NHS number is no longer valid.');
    // The register points every superseded number at the current one, so this is the chain's end.
    const current = target?.supersededBy ?? cmd.to;
    if (current === cmd.from)
      throw DomainError.invariant('The merge would make a cycle: the target NHS number has itself been merged into the source.');

    let from: string[];
    let recorded: boolean;
    if (source?.status === 'superseded') {
      if (source.supersededBy !== current) {
        throw DomainError.invariant('source-patient-identifier: the NHS number has already been merged into a different patient.');
      }
      // The same merge again: nothing to record; move any record that reached the old number since.
      from = [cmd.from];
      recorded = false;
    } else {
      this.register.noteEntry();
      from = [cmd.from, ...(await this.repo.supersede(tx, cmd.from, current, cmd.recordedBy))];
      recorded = true;
    }
    const { moved } = await this.commands.execute(new MovePatientRecords(tx, from, current));
    return { moved, current, recorded };
  }
}
