import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { APP_CONFIG, AppConfig, fhirBaseUrl } from '../../config/app-config';
import { FHIR_INTERACTION, FHIR_SEARCH_PARAMS, InteractionCode, SearchParamDescription } from './fhir-interaction.decorator';

interface ResourceCapability {
  interactions: Set<InteractionCode>;
  searchParams: Map<string, SearchParamDescription>;
}

/** Builds the CapabilityStatement once, from the @FhirInteraction metadata on the registered routes. */
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
    const resources = new Map<string, ResourceCapability>();
    for (const wrapper of this.discovery.getControllers()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance) continue;
      const proto = Object.getPrototypeOf(instance);
      for (const name of this.scanner.getAllMethodNames(proto)) {
        const handler = proto[name];
        const interaction = this.reflector.get<{ resource: string; code: InteractionCode }>(FHIR_INTERACTION, handler);
        if (!interaction) continue;
        const r = resources.get(interaction.resource) ?? { interactions: new Set(), searchParams: new Map() };
        r.interactions.add(interaction.code);
        for (const p of this.reflector.get<SearchParamDescription[]>(FHIR_SEARCH_PARAMS, handler) ?? []) r.searchParams.set(p.name, p);
        resources.set(interaction.resource, r);
      }
    }
    this.statement = this.build(resources);
  }

  get(): Record<string, unknown> {
    return this.statement;
  }

  private build(resources: Map<string, ResourceCapability>) {
    const base = fhirBaseUrl(this.config);
    const types = [...resources.keys()].sort();
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
          resource: types.map((type) => {
            const r = resources.get(type)!;
            const codes = [...r.interactions];
            const entry: Record<string, unknown> = {
              type,
              interaction: codes.sort().map((code) => ({ code })),
            };
            if (codes.includes('vread') || codes.includes('history-instance')) entry.versioning = 'versioned-update';
            if (codes.includes('vread')) entry.readHistory = true;
            if (codes.includes('update')) entry.updateCreate = false;
            if (codes.includes('delete')) entry.conditionalDelete = 'not-supported';
            if (r.searchParams.size > 0) {
              entry.searchParam = [...r.searchParams.values()].map((p) => ({ name: p.name, type: p.type, documentation: p.documentation }));
            }
            return entry;
          }),
        },
      ],
    };
  }
}
