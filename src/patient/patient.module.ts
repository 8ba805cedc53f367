import { Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { InvalidateNhsNumberHandler } from './commands/invalidate-nhs-number/invalidate-nhs-number.handler';
import { MergePatientHandler } from './commands/merge-patient/merge-patient.handler';
import { PatientDirectory, NoPatientDirectory } from './directory/patient-directory';
import { PdsAccessToken } from './directory/pds-access-token';
import { PdsPatientDirectory } from './directory/pds-patient-directory';
import { MnsEventsController } from './inbound/mns-events.controller';
import { MnsInboxRepository } from './inbound/mns-inbox.repository';
import { MnsInboxWorker } from './inbound/mns-inbox.worker';
import { PatientRegisterRepository } from './infrastructure/patient-register.repository';
import { PatientController } from './patient.controller';
import { PatientRegister } from './patient-register';
import { NhsNumberStatusHandler } from './queries/nhs-number-status/nhs-number-status.handler';

function patientDirectory(c: AppConfig): PatientDirectory {
  if (c.pdsBaseUrl === null) return new NoPatientDirectory();
  const token =
    c.pdsTokenUrl && c.pdsClientId && c.pdsPrivateKeyFile && c.pdsKeyId
      ? new PdsAccessToken(
          { tokenUrl: c.pdsTokenUrl, clientId: c.pdsClientId, privateKeyFile: c.pdsPrivateKeyFile, keyId: c.pdsKeyId },
          c.pdsTimeoutMs,
        )
      : null;
  return new PdsPatientDirectory(c.pdsBaseUrl, c.pdsTimeoutMs, token);
}

/**
 * The patient side of the domain (contract §7): NHS numbers, the register of superseded and
 * invalidated numbers, the patient directory (PDS) port, $merge, the merge CLI's command and
 * inbound MNS events. It talks to the other modules only over the buses: it answers
 * GetNhsNumberStatus and sends the Immunization module MovePatientRecords.
 */
@Module({
  controllers: [PatientController, MnsEventsController],
  providers: [
    PatientRegisterRepository,
    PatientRegister,
    MnsInboxRepository,
    MnsInboxWorker,
    { provide: PatientDirectory, inject: [APP_CONFIG], useFactory: patientDirectory },
    NhsNumberStatusHandler,
    MergePatientHandler,
    InvalidateNhsNumberHandler,
  ],
})
export class PatientModule {}
