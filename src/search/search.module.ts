import { Module } from '@nestjs/common';
import { ImmunizationModule } from '../immunization/immunization.module';
import { SearchProjectionRepository, SearchReads } from './projection/search-projection.repository';
import { SearchProjector } from './projection/search-projector';
import { SearchByIdentifierHandler } from './queries/search-by-identifier/search-by-identifier.handler';
import { SearchByPatientHandler } from './queries/search-by-patient/search-by-patient.handler';
import { SearchController } from './search.controller';

/**
 * Read side of Immunization: its own projection (search_immunization), kept by a projector the write
 * side calls inside each write transaction, and the search routes reading it through the QueryBus.
 * It uses only the Immunization module's public surface (ChangeProjectors, ImmunizationChange).
 */
@Module({
  imports: [ImmunizationModule],
  controllers: [SearchController],
  providers: [
    SearchProjectionRepository,
    { provide: SearchReads, useExisting: SearchProjectionRepository },
    SearchProjector,
    SearchByPatientHandler,
    SearchByIdentifierHandler,
  ],
})
export class SearchModule {}
