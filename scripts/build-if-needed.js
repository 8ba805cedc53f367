// Builds dist/ when it is missing or older than any source file, so `npm start` works on a clean clone.
const { spawn } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const out = join(root, 'dist', 'main.js');

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

if (!existsSync(out) || statSync(out).mtimeMs < Math.max(newest(join(root, 'src')), statSync(join(root, 'tsconfig.json')).mtimeMs)) {
  // The first build takes ~20 s on a small machine: say so, and show that it is moving.
  const started = Date.now();
  const fresh = !existsSync(out);
  process.stderr.write(fresh ? 'building dist/ (first start only; about 20 s)…\n' : 'sources changed: rebuilding dist/…\n');
  const tick = setInterval(() => process.stderr.write(`  still compiling… ${Math.round((Date.now() - started) / 1000)} s\n`), 5000);
  const tsc = spawn(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
  tsc.on('exit', (code) => {
    clearInterval(tick);
    if (code !== 0) {
      process.stderr.write('build failed\n');
      process.exit(code ?? 1);
    }
    // tsc leaves unchanged outputs untouched; mark the build as fresh.
    const now = new Date();
    require('node:fs').utimesSync(out, now, now);
    process.stderr.write(`built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  });
}
