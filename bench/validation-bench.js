#!/usr/bin/env node
// Validation throughput on one core: validateImmunization on the OpenAPI create example, in a loop.
// Needs the compiled output: `npx tsc -p tsconfig.json` first (see bench/README.md).
//   node bench/validation-bench.js            5 s measured after 2 s warm-up
//   BENCH_SECONDS=10 node bench/validation-bench.js
'use strict';
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const dist = join(root, 'dist', 'immunization', 'validation');
const seconds = Number(process.env.BENCH_SECONDS || 5);
const warmupSeconds = Number(process.env.BENCH_WARMUP_SECONDS || 2);

let loadStarted = process.hrtime.bigint();
const { validateImmunization } = require(join(dist, 'validate-immunization.js'));
const { structureValidator } = require(join(dist, 'fhir-structure.js'));
const loadMs = Number(process.hrtime.bigint() - loadStarted) / 1e6;
const { compileMs } = structureValidator(); // schema build + Ajv compile, once per process

const seed = JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'immunization.seed.json'), 'utf8'));
// A body failing several rules: the error path (issue building, FHIRPaths, dedupe) costs more.
const invalid = JSON.parse(JSON.stringify(seed));
invalid.lotNumber = '';
invalid.status = 'not-done';
invalid.contained[1].birthDate = '2099-01-01';
invalid.site.coding.push({});
invalid.note = [{ text: 'x' }];

const ctx = { mode: 'create' };
if (validateImmunization(seed, ctx).length !== 0) throw new Error('the seed example must be valid');
if (validateImmunization(invalid, ctx).length !== 5) throw new Error('the invalid example must give 5 issues');

// Wall-clock rate, and the rate per second of CPU time this process used: on a shared machine the
// second is the honest "one core" figure (other processes steal wall time, not CPU time).
function run(body, forSeconds) {
  const until = process.hrtime.bigint() + BigInt(Math.round(forSeconds * 1e9));
  let n = 0;
  let sink = 0;
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  // Check the clock every 1000 calls so timing stays out of the measured work.
  while (process.hrtime.bigint() < until) {
    for (let i = 0; i < 1000; i++) sink += validateImmunization(body, ctx).length;
    n += 1000;
  }
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  return { perSecond: n / elapsed, perCpuSecond: n / cpuSeconds, usPerOp: (cpuSeconds * 1e6) / n, sink };
}

run(seed, warmupSeconds);
const valid = run(seed, seconds);
run(invalid, warmupSeconds / 2);
const failing = run(invalid, seconds);

const fmt = (x) => Math.round(x).toLocaleString('en-GB');
console.log(`node ${process.version}, one core, ${seconds} s per measurement after warm-up`);
console.log(`module load ${loadMs.toFixed(0)} ms; schema build + Ajv compile ${compileMs.toFixed(0)} ms`);
const line = (r) =>
  `${fmt(r.perCpuSecond)} validations per CPU-second (${r.usPerOp.toFixed(1)} µs CPU each); wall clock ${fmt(r.perSecond)}/s`;
console.log(`valid seed body:      ${line(valid)}`);
console.log(`body with 5 problems: ${line(failing)}`);
