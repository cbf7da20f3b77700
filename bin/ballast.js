#!/usr/bin/env node
// The published entry point: runs the bundled CLI (built by `npm run build`, which `prepare` runs on
// `npm ci`: tsc to dist/, then esbuild to dist/bundle/ — see scripts/bundle.mjs).
import { setFlagsFromString } from 'node:v8';

// undici parses HTTP with a WebAssembly build of llhttp. V8 compiles it twice: at once with its
// baseline compiler (Liftoff) and again in the background with its optimising one, and a process
// cannot exit until that background job ends — it added ≈ 120 ms to every short `ballast` run on
// this machine. Liftoff's code alone is fast enough for response headers of a few hundred bytes.
// (Set before undici loads; see bench/results/eval-vs-promptfoo-profile.md.) Not for `serve`: a
// long-running gateway parses every upstream response with it and gains from the optimised code.
if (process.argv[2] !== 'serve') setFlagsFromString('--liftoff-only');

// The live heaps of a gateway and of an eval run are small (≈ 30 MB under load, whatever the
// number of cases) but V8 lets the old generation grow to several times that between full
// collections when allocation is fast and collection cheap. Capping each growth step keeps memory
// near what is live: `serve` under bench/gateway's load 170–190 → 133–137 MB at the same
// throughput (docs/gateway.md, "Memory"); `eval` of 10,000 cases 188–206 → 145–152 MB for ≈ 0.1 s
// more (docs/eval.md, "Speed and memory"). Read at every collection, so it applies from here on; a
// value given in NODE_OPTIONS or on the command line wins.
const growthCap = { serve: 20, eval: 50 }[process.argv[2] ?? ''];
const nodeFlags = `${process.env.NODE_OPTIONS ?? ''} ${process.execArgv.join(' ')}`;
if (growthCap !== undefined && !nodeFlags.includes('heap-growing-percent'))
  setFlagsFromString(`--heap-growing-percent=${growthCap}`);

const { main } = await import('../dist/bundle/cli.js');
process.exitCode = await main(process.argv.slice(2));
