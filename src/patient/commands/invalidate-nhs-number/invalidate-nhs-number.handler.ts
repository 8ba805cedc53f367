import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Database } from '../../../database/database';
import { PatientRegisterRepository } from '../../infrastructure/patient-register.repository';
import { PatientRegister } from '../../patient-register';
import { InvalidateNhsNumber } from './invalidate-nhs-number.command';

@CommandHandler(InvalidateNhsNumber)
export class InvalidateNhsNumberHandler implements ICommandHandler<InvalidateNhsNumber, { recorded: boolean }> {
  constructor(
    private readonly db: Database,
    private readonly repo: PatientRegisterRepository,
    private readonly register: PatientRegister,
  ) {}

  async execute(cmd: InvalidateNhsNumber): Promise<{ recorded: boolean }> {
    this.register.noteEntry();
    return { recorded: await this.repo.invalidate(this.db, cmd.nhsNumber, cmd.recordedBy) };
  }
}
