// Time and SQL statements of a patient merge (POST /Patient/$merge) moving N records, against the
// built server as a child process.
//
//   npx tsc -p tsconfig.json && DATABASE_URL=postgres://postgres@127.0.0.1:5432/merge_bench node bench/patient-merge-bench.js
//
// BENCH_RECORDS (default "50,1000"): one merge per size, each of a fresh patient; every tenth
// record is deleted before the merge (deleted records move too). The database named in
// DATABASE_URL is dropped and recreated. Without DATABASE_URL it runs on PGlite in a temp dir.
const { randomUUID } = require('node:crypto');
const { benchServer, nhsNumber: ofStem, seedFixture } = require('./perf/lib');

const sizes = (process.env.BENCH_RECORDS || '50,1000').split(',').map(Number);
const port = Number(process.env.BENCH_PORT || 3961);
const base = `http://127.0.0.1:${port}/immunisation-fhir-api/FHIR/R4`;
const NHS = 'https://fhir.nhs.uk/Id/nhs-number';

function nhsNumber() {
  for (;;) {
    const n = ofStem(100_000_000 + Math.floor(Math.random() * 899_999_999));
    if (n) return n;
  }
}

async function main() {
  const lines = [];
  let buf = '';
  const { service, token: mint } = await benchServer({
    port,
    prefix: 'imms-merge-bench-',
    supplier: { roles: ['patient-admin'] },
    env: { LOG_LEVEL: 'info' },
    onStdout: (d) => {
      buf += d;
      const parts = buf.split('\n');
      buf = parts.pop();
      for (const l of parts) if (l.includes('"msg":"request"') && l.includes('$merge')) lines.push(JSON.parse(l));
    },
  });
  const token = mint();
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' };
  const fixture = seedFixture();
  const results = [];
  for (const n of sizes) {
    const [from, to] = [nhsNumber(), nhsNumber()];
    const ids = [];
    for (let i = 0; i < n; i += 20) {
      await Promise.all(
        Array.from({ length: Math.min(20, n - i) }, async () => {
          const body = structuredClone(fixture);
          body.identifier[0].value = randomUUID();
          body.contained.find((c) => c.resourceType === 'Patient').identifier = [{ system: NHS, value: from }];
          const res = await fetch(`${base}/Immunization`, { method: 'POST', headers, body: JSON.stringify(body) });
          if (res.status !== 201) throw new Error(`create: ${res.status} ${await res.text()}`);
          ids.push(res.headers.get('location').split('/').pop());
        }),
      );
    }
    for (let i = 0; i < ids.length; i += 10) await fetch(`${base}/Immunization/${ids[i]}`, { method: 'DELETE', headers });
    const merge = async () => {
      const started = process.hrtime.bigint();
      const res = await fetch(`${base}/Patient/$merge`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          resourceType: 'Parameters',
          parameter: [
            { name: 'source-patient-identifier', valueIdentifier: { system: NHS, value: from } },
            { name: 'target-patient-identifier', valueIdentifier: { system: NHS, value: to } },
          ],
        }),
      });
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const body = await res.json();
      if (res.status !== 200) throw new Error(`merge: ${res.status} ${JSON.stringify(body)}`);
      await new Promise((r) => setTimeout(r, 100));
      return {
        ms: Math.round(ms),
        moved: body.parameter.find((p) => p.name === 'moved').valueInteger,
        sqlStatements: lines[lines.length - 1]?.sqlStatements,
      };
    };
    const first = await merge();
    const again = await merge();
    results.push({ records: n, deleted: Math.ceil(n / 10), merge: first, sameMergeAgain: again });
  }
  await service.stop();
  console.log(JSON.stringify({ database: process.env.DATABASE_URL ? 'postgresql' : 'pglite', results }, null, 1));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
