#!/usr/bin/env node
// The published entry point: runs the compiled CLI (built by `npm run build`, which `prepare` runs on `npm ci`).
import { main } from '../dist/main/cli.js';

process.exitCode = await main(process.argv.slice(2));
