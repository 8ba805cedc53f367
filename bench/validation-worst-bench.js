#!/usr/bin/env node
// CPU cost of validating hostile Immunization bodies (issue 14, defect 1): long arrays and bodies
// built to make all-errors schema validation do the most work, each under MAX_BODY_BYTES (1 MiB).
// Needs the compiled output: `npx tsc -p tsconfig.json` first (see bench/README.md).
//   node bench/validation-worst-bench.js            every body once (after warm-up), CPU ms each
//   BENCH_SIZES=8000,16000,32000 node bench/validation-worst-bench.js
'use strict';
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const { validateImmunization } = require(join(root, 'dist', 'immunization', 'validation', 'validate-immunization.js'));
const { Errors } = require(join(root, 'dist', 'fhir', 'operation-outcome.js'));
const seed = JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'immunization.seed.json'), 'utf8'));
const sizes = (process.env.BENCH_SIZES || '8000,16000,32000').split(',').map(Number);
const MAX_BODY_BYTES = 1048576;

const clone = () => JSON.parse(JSON.stringify(seed));
const bodies = [];
for (const n of sizes) {
  for (const element of ['contained', 'identifier', 'performer', 'protocolApplied', 'extension', 'reasonCode']) {
    const b = clone();
    b[element] = new Array(n).fill(0);
    bodies.push([`${element}: ${n} zeros`, b]);
  }
  const s = clone();
  s.contained[0].name = [{ given: new Array(n).fill('x'.repeat(8)) }];
  bodies.push([`Patient.name.given: ${n} strings`, s]);
}
// Within the per-array limits: every array element at its cap, each item wrong in several ways.
const wide = clone();
const badItem = () => ({ system: 1, value: 2, use: 3, period: 'x', assigner: 5, type: [0], zzz: 1 });
for (const element of ['identifier', 'performer', 'reasonCode', 'protocolApplied', 'extension'])
  wide[element] = Array.from({ length: 50 }, badItem);
bodies.push(['5 arrays x 50 bad items (within caps)', wide]);
const nested = clone();
nested.contained = Array.from({ length: 10 }, () => ({
  resourceType: 'Patient',
  name: Array.from({ length: 9 }, () => ({ given: new Array(50).fill(0) })),
}));
bodies.push(['10 Patients x 9 names x 50 bad givens (under 5,000 values)', nested]);
const deep = clone();
let node = deep;
for (let i = 0; i < 30; i++) {
  node.extension = [{ url: 1, extension: [] }];
  node = node.extension[0];
}
bodies.push(['extension nested 30 deep, every level wrong', deep]);
const keys = clone();
for (let i = 0; i < 4800; i++) keys[`unknown${i}`] = i;
bodies.push(['4,800 unknown elements', keys]);
const longString = clone();
longString.lotNumber = 'a '.repeat(480000);
bodies.push(['lotNumber of 960,000 characters', longString]);

validateImmunization(seed, { mode: 'create' }); // compile the schema outside the measurement
for (let i = 0; i < 200; i++) validateImmunization(wide, { mode: 'create' }); // warm up the JIT

console.log(`node ${process.version}; CPU ms for one validation + OperationOutcome serialisation`);
console.log('| body | bytes | issues | listed | response bytes | CPU ms |');
console.log('|---|---|---|---|---|---|');
for (const [name, body] of bodies) {
  const bytes = Buffer.byteLength(JSON.stringify(body));
  if (bytes > MAX_BODY_BYTES) {
    console.log(`| ${name} | ${bytes} | (over MAX_BODY_BYTES: refused with 413 before parsing) | | | |`);
    continue;
  }
  const cpu = process.cpuUsage();
  const issues = validateImmunization(body, { mode: 'create' });
  const outcome = JSON.stringify(Errors.invariants(issues).outcome());
  const used = process.cpuUsage(cpu);
  const ms = (used.user + used.system) / 1000;
  console.log(`| ${name} | ${bytes} | ${issues.length} | ${JSON.parse(outcome).issue.length} | ${outcome.length} | ${ms.toFixed(1)} |`);
}
