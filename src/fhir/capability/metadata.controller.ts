import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../../auth/public.decorator';
import { FHIR_BASE_PATH } from '../../config/app-config';
import { CapabilityStatementService } from './capability-statement.service';

@ApiTags('Capabilities')
@Public()
@Controller(FHIR_BASE_PATH)
export class MetadataController {
  constructor(private readonly capabilities: CapabilityStatementService) {}

  @Get('metadata')
  @ApiOperation({ summary: 'The CapabilityStatement: exactly the interactions, search parameters and security implemented' })
  metadata() {
    return this.capabilities.get();
  }
}
