import { Controller, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentPrincipal, Principal } from '../auth/principal';
import { FHIR_BASE_PATH } from '../config/app-config';
import { FhirInteraction } from '../fhir/capability/fhir-interaction.decorator';
import { FhirJsonBody } from '../fhir/fhir-body.decorator';
import { sendFhir } from '../fhir/fhir-response';
import { MergePatient } from './commands/merge-patient/merge-patient.command';
import { mergeAnswer, mergeNumbers } from './merge-parameters';

/** Patient operations: FHIR's Patient $merge, for suppliers with the patient-admin role. */
@ApiTags('Patient')
@Controller(`${FHIR_BASE_PATH}/Patient`)
export class PatientController {
  constructor(private readonly commands: CommandBus) {}

  @Post('$merge')
  @FhirInteraction('mergePatient')
  @ApiOperation({
    summary: 'Merge patients: supersede an NHS number and move its records',
    description:
      'Parameters with source-patient-identifier (the old NHS number) and target-patient-identifier (the new one). Needs the patient-admin role. Answers a Parameters with outcome and moved.',
  })
  @ApiBody({ description: 'A FHIR R4 Parameters resource', schema: { type: 'object' } })
  @ApiResponse({ status: 200, description: 'Merged (or already merged: moved 0)' })
  async merge(@FhirJsonBody() body: unknown, @CurrentPrincipal() who: Principal, @Res() res: Response) {
    const { from, to } = mergeNumbers(body);
    const r = await this.commands.execute(new MergePatient(from, to, who, `supplier:${who.supplier.name}`));
    sendFhir(res, { body: mergeAnswer(from, r.moved, r.recorded) });
  }
}
