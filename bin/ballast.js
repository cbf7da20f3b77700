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

// A gateway's live heap is small (≈ 30 MB under load) but V8 lets the old generation grow to
// several times that between full collections when allocation is fast and collection cheap: RSS
// 170–190 MB under bench/gateway's load. Capping each growth step at 20 % holds it at 133–137 MB
// at the same throughput (docs/gateway.md, "Memory"). Read at every collection, so it applies from
// here on; a value given in NODE_OPTIONS or on the command line wins.
const nodeFlags = `${process.env.NODE_OPTIONS ?? ''} ${process.execArgv.join(' ')}`;
if (process.argv[2] === 'serve' && !nodeFlags.includes('heap-growing-percent'))
  setFlagsFromString('--heap-growing-percent=20');

const { main } = await import('../dist/bundle/cli.js');
process.exitCode = await main(process.argv.slice(2));
