import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { PatientRegister } from '../../patient-register';
import { GetNhsNumberStatus, NhsNumberStatus } from '../../public/nhs-number-status.query';

@QueryHandler(GetNhsNumberStatus)
export class NhsNumberStatusHandler implements IQueryHandler<GetNhsNumberStatus, NhsNumberStatus> {
  constructor(private readonly register: PatientRegister) {}

  execute(q: GetNhsNumberStatus): Promise<NhsNumberStatus> {
    return this.register.status(q.nhsNumber);
  }
}
