import { Global, Module } from '@nestjs/common';

/** Shared FHIR HTTP pieces (outcomes, bundles, content types); feature modules import what they need. */
@Global()
@Module({})
export class FhirModule {}
