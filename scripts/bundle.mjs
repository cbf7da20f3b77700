// Bundles the compiled CLI (dist/main/cli.js) into dist/bundle/ with esbuild, so that `ballast`
// starts by loading a few files instead of ~250 modules and their packages (start-up was ~60 %
// module loading; see bench/results/eval-vs-promptfoo-profile.md). Code splitting keeps the lazy
// parts lazy: the store drivers, the HTTP client and the eval engine load only for commands that
// use them. Native and optional packages stay outside the bundle and are resolved from
// node_modules as before.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

// zod's `z` namespace re-exports all of its ~40 message locales (`z.locales`), so no bundler can
// drop them: a third of the zod chunk, parsed and compiled at every start. Ballast only uses
// English (zod's default, which zod imports on its own), so the namespace gets English alone.
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/](classic|core)[\\/]/.test(args.importer)
        ? { path: join(dirname(args.importer), '..', 'locales', 'index.js'), namespace: 'zod-english-only' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, (args) => ({
      contents: "export { default as en } from './en.js';",
      resolveDir: dirname(args.path),
    }));
  },
};

// Chunk names carry a content hash: without this, every build would leave the last one's chunks.
rmSync('dist/bundle', { recursive: true, force: true });

await build({
  entryPoints: ['dist/main/cli.js'],
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minifySyntax: true,
  minifyWhitespace: true,
  sourcemap: 'linked',
  // protobufjs: @datadog/sketches-js requires it inside toProto/fromProto only, and does not install
  // it (sketches-js#26). Ballast serializes sketches itself (src/adapters/telemetry/ddsketch-proto.ts)
  // and never calls those, but esbuild resolves every require() and would fail on the missing package.
  //
  // @opentelemetry/*: loaded with import() only when server.otel is set. Bundled, their CommonJS
  // builds came back from import() as `{ default }` alone, and no span was ever exported; left to
  // Node, their ESM builds load as published (test/integration/cli-serve.test.ts runs the bundle).
  external: [
    'better-sqlite3',
    'pg',
    'pg-native',
    'tsx',
    'tsx/*',
    'protobufjs',
    'protobufjs/*',
    '@opentelemetry/*',
  ],
  // Bundled CommonJS packages call require() for Node built-ins; ESM has no require of its own.
  banner: {
    js: "import { createRequire as __ballastRequire } from 'node:module'; const require = __ballastRequire(import.meta.url);",
  },
  plugins: [zodEnglishOnly],
  logLevel: 'warning',
});
