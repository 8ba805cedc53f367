import { Module, OnModuleInit } from '@nestjs/common';
import { JsonLogger } from '../logging/json-logger';
import {
  ApplyImmunizationRowHandler,
  ApplyImmunizationRowsHandler,
} from './commands/apply-immunization-row/apply-immunization-row.handler';
import { CreateImmunizationHandler } from './commands/create-immunization/create-immunization.handler';
import { DeleteImmunizationHandler } from './commands/delete-immunization/delete-immunization.handler';
import { ImmunizationWriter } from './commands/immunization-writer';
import { MovePatientRecordsHandler } from './commands/move-patient-records/move-patient-records.handler';
import { UpdateImmunizationHandler } from './commands/update-immunization/update-immunization.handler';
import { ImmunizationController } from './immunization.controller';
import { EventLogReader } from './infrastructure/event-log.reader';
import { ImmunizationRepository } from './infrastructure/immunization.repository';
import { RecordWrites } from './commands/record-writes';
import { ChangeProjectors } from './public/change-projectors';
import { ImmunizationChangeFeedHandler, ImmunizationHistoryHandler } from './queries/immunization-history/immunization-history.handler';
import { ExportChangesHandler } from './queries/export-changes/export-changes.handler';
import { ReadImmunizationHandler } from './queries/read-immunization/read-immunization.handler';
import { warmUpValidation } from './validation/validate-immunization';

/**
 * Write side of Immunization. Public surface (./public): the ChangeProjectors registry other modules
 * plug their in-transaction projections into, the ImmunizationChange shape and ImmunizationChanged event.
 */
@Module({
  controllers: [ImmunizationController],
  providers: [
    ImmunizationRepository,
    EventLogReader,
    // The writer's storage seam is the repository (a spec gives it an in-memory one).
    { provide: RecordWrites, useExisting: ImmunizationRepository },
    ImmunizationWriter,
    ChangeProjectors,
    CreateImmunizationHandler,
    UpdateImmunizationHandler,
    DeleteImmunizationHandler,
    MovePatientRecordsHandler,
    ApplyImmunizationRowHandler,
    ApplyImmunizationRowsHandler,
    ExportChangesHandler,
    ReadImmunizationHandler,
    ImmunizationHistoryHandler,
    ImmunizationChangeFeedHandler,
  ],
  exports: [ChangeProjectors],
})
export class ImmunizationModule implements OnModuleInit {
  constructor(private readonly logger: JsonLogger) {}

  /** Compile the FHIR schema validator at start-up, not on the first client's request. */
  onModuleInit() {
    this.logger.info('validator compiled', { compileMs: Math.round(warmUpValidation()) });
  }
}
