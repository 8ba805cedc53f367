import { SetMetadata } from '@nestjs/common';
import type { FhirOperationId } from './fhir-interactions';

export type { InteractionCode } from './fhir-interactions';

export interface SearchParamDescription {
  name: string;
  type: 'number' | 'date' | 'string' | 'token' | 'reference' | 'composite' | 'quantity' | 'uri' | 'special';
  documentation: string;
}

export const FHIR_INTERACTION = 'fhir:interaction';
export const FHIR_SEARCH_PARAMS = 'fhir:searchParams';

/**
 * Declares, on the route handler itself, which interaction of FHIR_INTERACTIONS it serves. The
 * CapabilityStatement service checks at start-up that every interaction has exactly one route,
 * with the method and path the list gives.
 */
export const FhirInteraction = (operationId: FhirOperationId) => SetMetadata(FHIR_INTERACTION, operationId);

/** Declares the search parameters a search-type route accepts. */
export const FhirSearchParams = (params: SearchParamDescription[]) => SetMetadata(FHIR_SEARCH_PARAMS, params);
