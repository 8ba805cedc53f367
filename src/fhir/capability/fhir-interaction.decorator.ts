import { applyDecorators, SetMetadata } from '@nestjs/common';
import { FhirOperationId, fhirInteraction } from './fhir-interactions';

export type { InteractionCode } from './fhir-interactions';

export interface SearchParamDescription {
  name: string;
  type: 'number' | 'date' | 'string' | 'token' | 'reference' | 'composite' | 'quantity' | 'uri' | 'special';
  documentation: string;
}

/** `{ resource, code }` of a REST interaction on a resource type: the audit trail names requests by it (bearer-auth.guard.ts). */
export const FHIR_INTERACTION = 'fhir:interaction';
/** The FHIR_INTERACTIONS entry a route serves. */
export const FHIR_OPERATION_ID = 'fhir:operationId';
export const FHIR_SEARCH_PARAMS = 'fhir:searchParams';

/**
 * Declares, on the route handler itself, which interaction of FHIR_INTERACTIONS it serves. The
 * CapabilityStatement service checks at start-up that every interaction has exactly one route,
 * with the method and path the list gives.
 */
export function FhirInteraction(operationId: FhirOperationId) {
  const spec = fhirInteraction(operationId);
  // /metadata and operations ($merge) carry no resource interaction, as before: the audit trail keeps what it records.
  if (spec.resource === null || spec.code === 'operation') return SetMetadata(FHIR_OPERATION_ID, operationId);
  return applyDecorators(
    SetMetadata(FHIR_OPERATION_ID, operationId),
    SetMetadata(FHIR_INTERACTION, { resource: spec.resource, code: spec.code }),
  );
}

/** Declares the search parameters a search-type route accepts. */
export const FhirSearchParams = (params: SearchParamDescription[]) => SetMetadata(FHIR_SEARCH_PARAMS, params);
