// Batch ingestion rate against the built server (child process), with the API's own create rate
// measured in the same run for the ratio, and the server's peak RSS while it ingests.
//
//   npx tsc -p tsconfig.json && DATABASE_URL=postgres://postgres@127.0.0.1:5432/imms_batch_bench node bench/batch-bench.js
//
// BENCH_ROWS (default 100000) rows in the generated file; BENCH_API_SECONDS (default 10) of
// API creates with BENCH_CONNECTIONS (default 10); BATCH_CHUNK_ROWS and other settings pass through
// to the server; BENCH_SERVER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") to profile it.
// Rates are given per wall-clock second and per CPU-second of the server process (the latter is
// robust to other load on a shared machine). BENCH_SERVER_LOG=file keeps the server's whole stdout
// (e.g. with BENCH_SERVER_NODE_ARGS=--trace-gc to see heap against RSS).
const { randomUUID } = require('node:crypto');
const { createWriteStream, createReadStream, statSync, rmSync } = require('node:fs');
const { once } = require('node:events');
const { join } = require('node:path');
const autocannon = require('autocannon');
const { root, benchServer, cpuSeconds, rssMb, seedFixture } = require('./perf/lib');

const ROWS = Number(process.env.BENCH_ROWS || 100_000);
const apiSeconds = Number(process.env.BENCH_API_SECONDS || 10);
const connections = Number(process.env.BENCH_CONNECTIONS || 10);
const port = Number(process.env.BENCH_PORT || 3918);
const origin = `http://127.0.0.1:${port}`;
const base = `${origin}/immunisation-fhir-api/FHIR/R4`;

const { FLAT_FIELDS } = require(join(root, 'dist/batch/domain/flat-record.js'));
const { csvLine } = require(join(root, 'dist/batch/domain/csv.js'));

/** A valid FLU row (the national e2e payload's values) with its own identifier. */
function row(i, run) {
  const r = {
    NHS_NUMBER: '5994201928',
    PERSON_FORENAME: 'PHILLIPS',
    PERSON_SURNAME: 'OAKLEY',
    PERSON_DOB: '20090923',
    PERSON_GENDER_CODE: '1',
    PERSON_POSTCODE: 'ZZ99 4QZ',
    DATE_AND_TIME: '20251106T21075600',
    SITE_CODE: 'B0C4P',
    SITE_CODE_TYPE_URI: 'https://fhir.nhs.uk/Id/ods-organization-code',
    UNIQUE_ID: `${run}-${i}`,
    UNIQUE_ID_URI: 'https://bench.example.org/ids',
    ACTION_FLAG: 'NEW',
    PERFORMING_PROFESSIONAL_FORENAME: 'Darren',
    PERFORMING_PROFESSIONAL_SURNAME: 'Furlong',
    RECORDED_DATE: '20251106',
    PRIMARY_SOURCE: 'TRUE',
    VACCINATION_PROCEDURE_CODE: '884861000000100',
    VACCINATION_PROCEDURE_TERM: 'Seasonal influenza vaccination',
    DOSE_SEQUENCE: '1',
    VACCINE_PRODUCT_CODE: '34680411000001107',
    VACCINE_PRODUCT_TERM: 'Quadrivalent influenza vaccine (split virion, inactivated) suspension for injection 0.5ml pre-filled syringes',
    VACCINE_MANUFACTURER: 'Sanofi Pasteur',
    BATCH_NUMBER: '794506',
    EXPIRY_DATE: '20271106',
    SITE_OF_VACCINATION_CODE: '368208006',
    SITE_OF_VACCINATION_TERM: 'Left upper arm structure (body structure)',
    ROUTE_OF_VACCINATION_CODE: '34206005',
    ROUTE_OF_VACCINATION_TERM: 'Subcutaneous route (qualifier value)',
    DOSE_AMOUNT: '0.3',
    DOSE_UNIT_CODE: '2622896019',
    DOSE_UNIT_TERM: 'Inhalation - unit of product usage',
    INDICATION_CODE: '310578008',
    LOCATION_CODE: 'X99999',
    LOCATION_CODE_TYPE_URI: 'https://fhir.nhs.uk/Id/ods-organization-code',
  };
  return csvLine(FLAT_FIELDS.map((f) => r[f]));
}

/** utime+stime of a process in seconds, and its resident set in MB (Linux /proc). */
const usage = (pid) => ({ cpu: cpuSeconds(pid), rssMb: rssMb(pid) });

async function main() {
  const serverLog = process.env.BENCH_SERVER_LOG ? createWriteStream(process.env.BENCH_SERVER_LOG) : undefined;
  const {
    files,
    service,
    token: mint,
  } = await benchServer({
    port,
    prefix: 'imms-batch-bench-',
    supplier: { odsCodes: ['BENCH1'] },
    env: {
      LOG_LEVEL: process.env.LOG_LEVEL || 'info',
      BATCH_PROGRESS_LOG_MS: process.env.BATCH_PROGRESS_LOG_MS || '5000',
      // One process: the CPU and RSS figures below are that process's (WORKERS=auto would fork).
      WORKERS: process.env.WORKERS || '1',
    },
    onStdout: (d) => {
      serverLog?.write(d);
      for (const line of String(d).split('\n')) if (/batch file (progress|processed)/.test(line)) process.stderr.write(line + '\n');
    },
  });
  const { dir } = files;
  const server = service.child;
  const token = mint();

  // 1. The API's own create rate, same server, same database.
  const fixture = seedFixture();
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' };
  const cpu0 = usage(server.pid).cpu;
  const api =
    apiSeconds <= 0
      ? { '2xx': 0, non2xx: 0 }
      : await new Promise((resolve, reject) => {
          autocannon(
            {
              url: `${base}/Immunization`,
              connections,
              duration: apiSeconds,
              requests: [
                {
                  method: 'POST',
                  headers,
                  setupRequest: (req) => ({
                    ...req,
                    body: JSON.stringify({ ...fixture, identifier: [{ ...fixture.identifier[0], value: randomUUID() }] }),
                  }),
                },
              ],
            },
            (err, r) => (err ? reject(err) : resolve(r)),
          );
        });
  const apiCpu = usage(server.pid).cpu - cpu0;
  const creates = api['2xx'];
  const apiRate = {
    createsPerSecond: Math.round(creates / apiSeconds),
    createsPerCpuSecond: Math.round(creates / apiCpu),
    non2xx: api.non2xx,
  };

  // 2. A generated file of ROWS valid rows, streamed up, then ingested.
  const run = randomUUID().slice(0, 8);
  const file = join(dir, 'bench.csv');
  const out = createWriteStream(file);
  out.write(csvLine(FLAT_FIELDS));
  for (let i = 0; i < ROWS; i++) if (!out.write(row(i, run))) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
  const bytes = statSync(file).size;
  const name = `FLU_Vaccinations_v5_BENCH1_${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}00.csv`;
  const rssBeforeIngest = usage(server.pid).rssMb;
  let peakRss = rssBeforeIngest;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, usage(server.pid).rssMb)), 200);
  const t0 = Date.now();
  const put = await fetch(`${origin}/immunisation-fhir-api/batch/files/${name}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
    body: createReadStream(file),
    duplex: 'half',
  });
  if (put.status !== 202) throw new Error(`upload: ${put.status} ${await put.text()}`);
  const uploadSeconds = (Date.now() - t0) / 1000;
  const t1 = Date.now();
  const cpu1 = usage(server.pid).cpu;
  let status;
  for (;;) {
    status = await (
      await fetch(`${origin}/immunisation-fhir-api/batch/files/${name}`, { headers: { authorization: `Bearer ${token}` } })
    ).json();
    if (status.status === 'processed') break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const ingestSeconds = (Date.now() - t1) / 1000;
  const ingestCpu = usage(server.pid).cpu - cpu1;
  clearInterval(sampler);
  await service.stop();
  rmSync(dir, { recursive: true, force: true });
  const rowsPerSecond = Math.round(ROWS / ingestSeconds);
  console.log(
    JSON.stringify(
      {
        database: process.env.DATABASE_URL ? 'postgresql' : 'pglite',
        rows: ROWS,
        fileMB: +(bytes / 1048576).toFixed(1),
        uploadSeconds,
        ingestSeconds,
        rowsPerSecond,
        rowsPerServerCpuSecond: Math.round(ROWS / ingestCpu),
        succeeded: status.rows.succeeded,
        failed: status.rows.failed,
        rssBeforeIngestMB: Math.round(rssBeforeIngest),
        peakRssMB: Math.round(peakRss),
        api: apiRate,
        batchToApiRatio: +(rowsPerSecond / apiRate.createsPerSecond).toFixed(2),
        batchToApiRatioPerCpu: +(ROWS / ingestCpu / apiRate.createsPerCpuSecond).toFixed(2),
        loadAverage: require('node:os')
          .loadavg()
          .map((l) => +l.toFixed(1)),
      },
      null,
      1,
    ),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
