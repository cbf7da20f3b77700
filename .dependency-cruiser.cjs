/** Layering rules from docs/adr/0001-architecture.md: core is pure; app sees only core and its ports;
 *  only src/main wires adapters, http, cli and app together. */
module.exports = {
  forbidden: [
    {
      name: 'core-is-pure',
      comment: 'core/ must not import Node built-ins or any other layer',
      severity: 'error',
      from: { path: '^src/core/' },
      to: {
        pathNot: [
          '^src/core/',
          'node_modules/(zod|yaml|fastest-levenshtein|obscenity|ajv|ajv-formats|yocto-queue)/',
        ],
      },
    },
    {
      name: 'app-sees-core-and-ports',
      severity: 'error',
      from: { path: '^src/app/' },
      to: { path: '^src/(adapters|http|cli|config|main)/' },
    },
    {
      name: 'app-no-node-io',
      comment: 'use cases reach the world through ports only',
      severity: 'error',
      from: { path: '^src/app/' },
      to: { dependencyTypes: ['core'], pathNot: ['^(node:)?(events|util)$'] },
    },
    {
      name: 'adapters-not-upward',
      severity: 'error',
      from: { path: '^src/adapters/' },
      to: { path: '^src/(http|cli|main|app/(?!ports/))' },
    },
    {
      name: 'http-not-cli-or-main',
      severity: 'error',
      from: { path: '^src/http/' },
      to: { path: '^src/(cli|main|adapters)/' },
    },
    {
      name: 'cli-not-adapters-or-main',
      comment: 'commands get their dependencies from src/main',
      severity: 'error',
      from: { path: '^src/cli/' },
      to: { path: '^src/(main|adapters)/' },
    },
    {
      name: 'config-reads-only-core',
      severity: 'error',
      from: { path: '^src/config/' },
      to: { path: '^src/(app|adapters|http|cli|main)/' },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    { name: 'not-to-unresolvable', severity: 'error', from: {}, to: { couldNotResolve: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
