import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { CapabilityStatementService } from './capability/capability-statement.service';
import { MetadataController } from './capability/metadata.controller';

/** Shared FHIR HTTP pieces: the CapabilityStatement built from the routes' own declarations. */
@Global()
@Module({ imports: [DiscoveryModule], controllers: [MetadataController], providers: [CapabilityStatementService] })
export class FhirModule {}
