// Module boundaries (docs/architecture.md): a feature module is entered only through its public/
// folder. kernel/ (terminology, domain errors) is the shared kernel every module may import and that
// imports nothing else of src/. fhir/, database/, config/, auth/, audit/, logging/, metrics/, health/,
// scheduling/ and the app's root files are shared infrastructure that any module may import.
const FEATURES = '(immunization|search|patient|notification|batch|openapi)';

module.exports = {
  forbidden: [
    {
      name: 'module-public-entry-only',
      comment: 'Import another feature module only through its public/ entry (src/<module>/public/).',
      severity: 'error',
      from: { path: `^src/([^/]+)/` },
      to: {
        path: `^src/${FEATURES}/`,
        // A module's Nest *.module.ts may be imported for wiring (Nest's imports: [...]).
        pathNot: [`^src/$1/`, `^src/${FEATURES}/public/`, `^src/${FEATURES}/[^/]+\\.module\\.ts$`],
      },
    },
    {
      name: 'kernel-stands-alone',
      comment: 'The shared kernel (src/kernel/) is imported by every module, so it imports no module, feature or infrastructure.',
      severity: 'error',
      from: { path: '^src/kernel/' },
      to: { path: '^src/', pathNot: '^src/kernel/' },
    },
    {
      name: 'no-circular-modules',
      comment: 'Feature modules must not depend on each other in a cycle.',
      severity: 'warn',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.spec\\.ts$' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
