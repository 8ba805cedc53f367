// Lets a child process run the TypeScript sources directly (`node -r this-file src/main.ts`), compiled
// on the fly with the project's own SWC settings: process tests run the real server without a build.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { transformSync } = require('@swc/core');

const options = JSON.parse(readFileSync(join(__dirname, '../../.swcrc'), 'utf8'));
delete options.$schema;

require.extensions['.ts'] = function compile(module, filename) {
  const { code } = transformSync(readFileSync(filename, 'utf8'), { ...options, filename, swcrc: false });
  module._compile(code, filename);
};
