import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../../auth/public.decorator';
import { FHIR_BASE_PATH } from '../../config/app-config';
import { sendFhir } from '../fhir-response';
import { wantsPlainJson } from '../media-types';
import { CapabilityStatementService } from './capability-statement.service';
import { FhirInteraction } from './fhir-interaction.decorator';

@ApiTags('Capabilities')
@Public()
@Controller(FHIR_BASE_PATH)
export class MetadataController {
  constructor(private readonly capabilities: CapabilityStatementService) {}

  @Get('metadata')
  @FhirInteraction('capabilities')
  @ApiOperation({ summary: 'The CapabilityStatement: exactly the interactions, search parameters and security implemented' })
  metadata(@Req() req: Request, @Res() res: Response) {
    const statement = this.capabilities.get();
    // FHIR JSON like every other FHIR body; plain JSON only for a client that asks for exactly that (docs/api.md §2).
    const format = typeof req.query._format === 'string' ? req.query._format : undefined;
    sendFhir(res, {
      body: statement,
      contentType: wantsPlainJson(req.headers.accept, format) ? 'application/json; charset=utf-8' : undefined,
    });
  }
}
