import { readFileSync } from 'node:fs';
import type { Immunization, Patient } from '@medplum/fhirtypes';
import { join } from 'node:path';
import { ServerKeys } from '../auth/server-keys';
import { SupplierRegistry } from '../auth/supplier-registry';
import { ConfigError, FHIR_BASE_PATH, fhirBaseUrl, loadConfig, PROJECT_ROOT } from '../config/app-config';

/**
 * `npm run seed`: loads demo records for the example suppliers of config/suppliers.json into a
 * RUNNING server (the one at PUBLIC_BASE_URL, or --url), through the API, so history, search and
 * notifications see them like any other write. Tokens are minted like `npm run token` does, so run
 * it with the server's settings. Running it again changes nothing (the identifiers already exist).
 */
const DEMO: { supplier: string; type: string; nhsNumber: string; occurrence: string }[] = [
  { supplier: 'EMIS', type: 'COVID', nhsNumber: '9449310475', occurrence: '2025-10-01T10:15:00+01:00' },
  { supplier: 'EMIS', type: 'FLU', nhsNumber: '9449310475', occurrence: '2025-10-20T09:30:00+01:00' },
  { supplier: 'EMIS', type: 'FLU', nhsNumber: '9000000009', occurrence: '2025-11-03T14:00:00+00:00' },
  { supplier: 'MAVIS', type: 'HPV', nhsNumber: '9449304130', occurrence: '2025-09-15T11:00:00+01:00' },
  { supplier: 'MAVIS', type: 'MMR', nhsNumber: '9449304130', occurrence: '2024-05-02T10:00:00+01:00' },
  { supplier: 'TPP', type: 'RSV', nhsNumber: '9000000009', occurrence: '2025-09-01T08:45:00+01:00' },
  { supplier: 'TPP', type: 'COVID', nhsNumber: '9000000009', occurrence: '2025-04-11T16:20:00+01:00' },
];

function body(example: Immunization, d: (typeof DEMO)[number], index: number, diseases: [string, string][]): Immunization {
  const b = structuredClone(example);
  b.identifier = [
    { system: `https://${d.supplier.toLowerCase()}.example/identifiers/vacc`, value: `demo-${d.supplier.toLowerCase()}-${index + 1}` },
  ];
  b.occurrenceDateTime = d.occurrence;
  b.recorded = d.occurrence;
  const patient = b.contained?.find((r): r is Patient => r.resourceType === 'Patient');
  if (!patient || !b.protocolApplied?.[0]) throw new Error('examples/immunization-create.json has no contained Patient or protocolApplied');
  patient.identifier = [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: d.nhsNumber }];
  b.protocolApplied[0].targetDisease = diseases.map(([code, display]) => ({
    coding: [{ system: 'http://snomed.info/sct', code, display }],
  }));
  return b;
}

async function main() {
  const args = process.argv.slice(2);
  const urlArg = args.includes('--url') ? args[args.indexOf('--url') + 1] : undefined;
  const config = loadConfig();
  if (config.dataDir === 'memory://' && !config.authSigningKeyFile) {
    throw new ConfigError('DATA_DIR=memory:// keeps the signing key inside the server; set AUTH_SIGNING_KEY_FILE to seed from outside it');
  }
  const base = urlArg ? `${urlArg.replace(/\/$/, '')}${FHIR_BASE_PATH}` : fhirBaseUrl(config);
  const example = JSON.parse(readFileSync(join(PROJECT_ROOT, 'examples', 'immunization-create.json'), 'utf8')) as Immunization;
  const types = JSON.parse(readFileSync(join(PROJECT_ROOT, 'config', 'vaccine-types.json'), 'utf8')) as Record<
    string,
    { diseases: [string, string][] }
  >;
  const suppliers = SupplierRegistry.fromFile(config.suppliersFile);
  const keys = await ServerKeys.load(config);
  const { TokenService } = await import('../auth/token.service');
  const tokens = new TokenService(config, keys, suppliers, undefined as never);

  let created = 0;
  let existing = 0;
  for (const [i, d] of DEMO.entries()) {
    const supplier = suppliers.supplier(d.supplier);
    if (!supplier) {
      process.stderr.write(`skipped: no supplier ${d.supplier} in ${config.suppliersFile}\n`);
      continue;
    }
    const { access_token } = await tokens.issue(supplier.clients[0].clientId);
    const res = await fetch(`${base}/Immunization`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${access_token}`, 'Content-Type': 'application/fhir+json' },
      body: JSON.stringify(body(example, d, i, types[d.type].diseases)),
    });
    if (res.status === 201) created++;
    else if (res.status === 422) existing++;
    else throw new Error(`${d.supplier} ${d.type}: ${res.status} ${await res.text()}`);
    process.stdout.write(
      `${res.status === 201 ? 'created ' : 'exists  '} ${d.supplier.padEnd(5)} ${d.type.padEnd(5)} NHS ${d.nhsNumber} ${res.headers.get('location') ?? ''}\n`,
    );
  }
  process.stdout.write(`${created} created, ${existing} already there (${base})\n`);
}

main().catch((e) => {
  const cause = e instanceof Error && 'cause' in e && e.cause instanceof Error ? ` (${e.cause.message})` : '';
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}${cause}\nIs the server running? Start it with npm start first.\n`);
  process.exit(1);
});
