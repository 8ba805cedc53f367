import { SetMetadata } from '@nestjs/common';

export type InteractionCode = 'read' | 'vread' | 'update' | 'delete' | 'history-instance' | 'history-type' | 'create' | 'search-type';

export interface SearchParamDescription {
  name: string;
  type: 'number' | 'date' | 'string' | 'token' | 'reference' | 'composite' | 'quantity' | 'uri' | 'special';
  documentation: string;
}

export const FHIR_INTERACTION = 'fhir:interaction';
export const FHIR_SEARCH_PARAMS = 'fhir:searchParams';

/**
 * Declares, on the route handler itself, which FHIR interaction it implements. The
 * CapabilityStatement (GET /metadata) is built from these, so it cannot drift from the routes.
 */
export const FhirInteraction = (resource: string, code: InteractionCode) => SetMetadata(FHIR_INTERACTION, { resource, code });

/** Declares the search parameters a search-type route accepts. */
export const FhirSearchParams = (params: SearchParamDescription[]) => SetMetadata(FHIR_SEARCH_PARAMS, params);
