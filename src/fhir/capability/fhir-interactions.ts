/**
 * Every FHIR interaction this service offers, on one screen. Each route declares which one it
 * serves with @FhirInteraction(operationId); at start-up the CapabilityStatement is built from this
 * list and checked against the routes (method and path), so neither can drift; the OpenAPI
 * document takes its operationIds from here. Routes live in the module that owns the use case
 * (search in the Search module), all under the FHIR base path.
 */
export type InteractionCode =
  'read' | 'vread' | 'update' | 'delete' | 'history-instance' | 'history-type' | 'create' | 'search-type' | 'capabilities' | 'operation';

export interface FhirInteractionSpec {
  /** The OpenAPI operationId, also the key routes name. */
  operationId: string;
  /** The resource type; null for system-level interactions (capabilities). */
  resource: string | null;
  code: InteractionCode;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Relative to the FHIR base path, in OpenAPI form (`{id}`). */
  path: string;
  /** An operation's name (without `$`) and canonical definition. */
  operation?: { name: string; definition: string };
}

export const FHIR_INTERACTIONS = [
  { operationId: 'capabilities', resource: null, code: 'capabilities', method: 'GET', path: '/metadata' },

  { operationId: 'createImmunization', resource: 'Immunization', code: 'create', method: 'POST', path: '/Immunization' },
  { operationId: 'searchImmunizationGet', resource: 'Immunization', code: 'search-type', method: 'GET', path: '/Immunization' },
  { operationId: 'searchImmunizationPost', resource: 'Immunization', code: 'search-type', method: 'POST', path: '/Immunization/_search' },
  { operationId: 'changeFeedImmunization', resource: 'Immunization', code: 'history-type', method: 'GET', path: '/Immunization/_history' },
  { operationId: 'readImmunization', resource: 'Immunization', code: 'read', method: 'GET', path: '/Immunization/{id}' },
  { operationId: 'updateImmunization', resource: 'Immunization', code: 'update', method: 'PUT', path: '/Immunization/{id}' },
  { operationId: 'deleteImmunization', resource: 'Immunization', code: 'delete', method: 'DELETE', path: '/Immunization/{id}' },
  {
    operationId: 'historyImmunization',
    resource: 'Immunization',
    code: 'history-instance',
    method: 'GET',
    path: '/Immunization/{id}/_history',
  },
  { operationId: 'vreadImmunization', resource: 'Immunization', code: 'vread', method: 'GET', path: '/Immunization/{id}/_history/{vid}' },

  {
    operationId: 'mergePatient',
    resource: 'Patient',
    code: 'operation',
    method: 'POST',
    path: '/Patient/$merge',
    operation: { name: 'merge', definition: 'http://hl7.org/fhir/OperationDefinition/Patient-merge' },
  },

  { operationId: 'createSubscription', resource: 'Subscription', code: 'create', method: 'POST', path: '/Subscription' },
  { operationId: 'searchSubscription', resource: 'Subscription', code: 'search-type', method: 'GET', path: '/Subscription' },
  { operationId: 'readSubscription', resource: 'Subscription', code: 'read', method: 'GET', path: '/Subscription/{id}' },
  { operationId: 'updateSubscription', resource: 'Subscription', code: 'update', method: 'PUT', path: '/Subscription/{id}' },
  { operationId: 'deleteSubscription', resource: 'Subscription', code: 'delete', method: 'DELETE', path: '/Subscription/{id}' },
] as const satisfies readonly FhirInteractionSpec[];

export type FhirOperationId = (typeof FHIR_INTERACTIONS)[number]['operationId'];

const BY_ID = new Map<string, FhirInteractionSpec>(FHIR_INTERACTIONS.map((i) => [i.operationId, i]));

export function fhirInteraction(operationId: FhirOperationId): FhirInteractionSpec {
  return BY_ID.get(operationId)!;
}
