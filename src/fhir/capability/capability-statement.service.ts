import { Inject, Injectable, OnApplicationBootstrap, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { APP_CONFIG, AppConfig, FHIR_BASE_PATH, fhirBaseUrl } from '../../config/app-config';
import { FHIR_OPERATION_ID, FHIR_SEARCH_PARAMS, SearchParamDescription } from './fhir-interaction.decorator';
import { FHIR_INTERACTIONS, fhirInteraction, FhirInteractionSpec, FhirOperationId } from './fhir-interactions';

/** `METHOD /path` of a route as FHIR_INTERACTIONS writes it: relative to the FHIR base, `{id}` for `:id`. */
function routeOf(controller: unknown, handler: unknown): string {
  const parts = [
    Reflect.getMetadata(PATH_METADATA, controller as object),
    Reflect.getMetadata(PATH_METADATA, handler as object),
  ] as string[];
  const path = `/${parts.join('/')}`
    .replace(/\/+/g, '/')
    .replace(/(.)\/$/, '$1')
    .replace(/:(\w+)/g, '{$1}');
  const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler as object) as number];
  return `${method} ${path.startsWith(FHIR_BASE_PATH) ? path.slice(FHIR_BASE_PATH.length) || '/' : path}`;
}

/**
 * Builds the CapabilityStatement once, from FHIR_INTERACTIONS, after checking that each of them is
 * served by exactly one route with its method and path (a start-up error otherwise): the statement
 * lists what is implemented, no more and no less. Search parameters come from the search routes.
 */
@Injectable()
export class CapabilityStatementService implements OnApplicationBootstrap {
  private statement: Record<string, unknown> = {};

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap() {
    const served = new Map<string, SearchParamDescription[]>();
    for (const wrapper of this.discovery.getControllers()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance) continue;
      const proto = Object.getPrototypeOf(instance);
      for (const name of this.scanner.getAllMethodNames(proto)) {
        const handler = proto[name];
        const id = this.reflector.get<FhirOperationId | undefined>(FHIR_OPERATION_ID, handler);
        if (!id) continue;
        const spec = fhirInteraction(id);
        const route = routeOf(wrapper.metatype, handler);
        if (route !== `${spec.method} ${spec.path}`)
          throw new Error(`${id} is served at ${route}, but FHIR_INTERACTIONS says ${spec.method} ${spec.path}`);
        if (served.has(id)) throw new Error(`${id} is served by two routes`);
        served.set(id, this.reflector.get<SearchParamDescription[]>(FHIR_SEARCH_PARAMS, handler) ?? []);
      }
    }
    const missing = FHIR_INTERACTIONS.filter((i) => !served.has(i.operationId)).map((i) => i.operationId);
    if (missing.length > 0) throw new Error(`No route serves ${missing.join(', ')} of FHIR_INTERACTIONS`);
    this.statement = this.build(served);
  }

  get(): Record<string, unknown> {
    return this.statement;
  }

  private build(searchParams: Map<string, SearchParamDescription[]>) {
    const base = fhirBaseUrl(this.config);
    const byType = new Map<string, FhirInteractionSpec[]>();
    for (const i of FHIR_INTERACTIONS) if (i.resource !== null) byType.set(i.resource, [...(byType.get(i.resource) ?? []), i]);
    return {
      resourceType: 'CapabilityStatement',
      status: 'active',
      date: new Date().toISOString().slice(0, 10),
      publisher: 'immunisation-fhir-api',
      kind: 'instance',
      software: { name: 'immunisation-fhir-api', version: process.env.npm_package_version ?? '0.1.0' },
      implementation: { description: 'Immunisation FHIR API', url: base },
      fhirVersion: '4.0.1',
      format: ['application/fhir+json', 'json'],
      rest: [
        {
          mode: 'server',
          security: {
            extension: [
              {
                url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
                extension: [{ url: 'token', valueUri: `${this.config.publicBaseUrl}/oauth2/token` }],
              },
            ],
            service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'OAuth' }] }],
            description:
              'Application-restricted OAuth 2.0: client credentials with a signed JWT client assertion (RFC 7523) at the token URL; ' +
              'every request carries Authorization: Bearer <access token>. Permissions per supplier, vaccine type and operation.',
          },
          resource: [...byType.keys()].sort().map((type) => {
            const interactions = byType.get(type)!;
            const codes = [...new Set(interactions.map((i) => i.code).filter((c) => c !== 'operation'))];
            const entry: Record<string, unknown> = { type };
            // FHIR JSON has no empty arrays: a resource with operations only (Patient $merge) lists none.
            if (codes.length > 0) entry.interaction = codes.sort().map((code) => ({ code }));
            if (codes.includes('vread') || codes.includes('history-instance')) entry.versioning = 'versioned-update';
            if (codes.includes('vread')) entry.readHistory = true;
            if (codes.includes('update')) entry.updateCreate = false;
            if (codes.includes('delete')) entry.conditionalDelete = 'not-supported';
            const params = new Map(interactions.flatMap((i) => searchParams.get(i.operationId) ?? []).map((p) => [p.name, p]));
            if (params.size > 0) {
              entry.searchParam = [...params.values()].map((p) => ({ name: p.name, type: p.type, documentation: p.documentation }));
            }
            const operations = interactions.flatMap((i) => (i.operation ? [i.operation] : []));
            if (operations.length > 0) entry.operation = operations;
            return entry;
          }),
        },
      ],
    };
  }
}
