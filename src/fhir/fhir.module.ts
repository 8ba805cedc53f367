import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { CapabilityStatementService } from './capability/capability-statement.service';
import { MetadataController } from './capability/metadata.controller';
import { ConnectionDrain } from './connection-drain';

/** Shared FHIR HTTP pieces: the CapabilityStatement built from the routes' own declarations; connection draining. */
@Global()
@Module({
  imports: [DiscoveryModule],
  controllers: [MetadataController],
  providers: [CapabilityStatementService, ConnectionDrain],
  exports: [ConnectionDrain],
})
export class FhirModule {}
