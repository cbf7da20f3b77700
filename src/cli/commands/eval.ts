import type { Command } from 'commander';
import { parseShard } from '../../app/eval/select-cases.js';
import type { EvalReport } from '../../core/eval/report-schema.js';
import { reportTerminal } from '../../core/eval/report-terminal.js';
import { CACHE_MODES, type CacheMode } from '../../core/provider/cache-mode.js';
import type { CliDeps, EvalOptions } from '../deps.js';
import { EXIT } from '../exit-codes.js';
import { printJson } from '../io.js';
import { startProgress } from '../progress.js';
import { requireProject, storeUrlFor } from '../project-context.js';

interface EvalFlags {
  config?: string;
  db?: string;
  dataset: string[];
  repeat?: string;
  concurrency: string;
  cache: string;
  limit?: string;
  filter: string[];
  shard?: string;
  resume?: string;
  baselineRun?: string;
  seed: string;
  perturb: string[];
  judge?: string;
  merge: string[];
  json: boolean;
  junit?: string;
  markdown?: string;
  out?: string;
  inconclusive?: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

function positiveInt(name: string, text: string | undefined, min = 1): number | undefined | Error {
  if (text === undefined) return undefined;
  const n = Number(text);
  return Number.isInteger(n) && n >= min
    ? n
    : new Error(`${name} must be a whole number ≥ ${min} (got "${text}")`);
}

/** Flags → options, or the first usage error in words. */
function parseFlags(opts: EvalFlags): Omit<EvalOptions, 'change' | 'storeUrl'> | string {
  const repeat = positiveInt('--repeat', opts.repeat);
  const concurrency = positiveInt('--concurrency', opts.concurrency);
  const limit = positiveInt('--limit', opts.limit);
  const seed = positiveInt('--seed', opts.seed, 0);
  for (const v of [repeat, concurrency, limit, seed]) if (v instanceof Error) return v.message;
  if (!(CACHE_MODES as readonly string[]).includes(opts.cache))
    return `--cache must be one of ${CACHE_MODES.join(', ')}`;
  if (opts.inconclusive !== undefined && !['pass', 'fail'].includes(opts.inconclusive)) {
    return '--inconclusive must be pass or fail';
  }
  const shard = opts.shard === undefined ? undefined : parseShard(opts.shard);
  if (opts.shard !== undefined && !shard) return `--shard must look like 1/4 (got "${opts.shard}")`;
  if (opts.resume && opts.baselineRun) return '--resume and --baseline-run cannot be combined';
  const merge = opts.merge.flatMap((m) => m.split(',')).filter(Boolean);
  if (merge.length > 0) {
    // A merge reads what the runs did; flags that would change it cannot apply.
    const clash = (
      [
        ['--dataset', opts.dataset.length > 0],
        ['--repeat', opts.repeat !== undefined],
        ['--limit', opts.limit !== undefined],
        ['--filter', opts.filter.length > 0],
        ['--shard', opts.shard !== undefined],
        ['--resume', Boolean(opts.resume)],
        ['--baseline-run', Boolean(opts.baselineRun)],
        ['--perturb', opts.perturb.length > 0],
        ['--judge', opts.judge !== undefined],
      ] as const
    ).find(([, given]) => given);
    if (clash) return `--merge uses the runs' own settings; it cannot be combined with ${clash[0]}`;
    if (merge.length < 2) return '--merge needs at least two runs (the shards of one gate)';
  }
  return {
    datasets: opts.dataset,
    ...(repeat === undefined ? {} : { repeats: repeat as number }),
    concurrency: concurrency as number,
    cache: opts.cache as CacheMode,
    ...(limit === undefined ? {} : { limit: limit as number }),
    filter: opts.filter,
    ...(shard ? { shard } : {}),
    ...(opts.resume ? { resume: opts.resume } : {}),
    ...(opts.baselineRun ? { baselineRun: opts.baselineRun } : {}),
    seed: seed as number,
    perturb: opts.perturb.flatMap((p) => p.split(',')).filter(Boolean),
    inconclusive: (opts.inconclusive as 'pass' | 'fail' | undefined) ?? null,
    ...(opts.judge ? { judge: opts.judge } : {}),
    merge,
  };
}

export function registerEval(program: Command, deps: CliDeps, setExit: (code: number) => void): void {
  program
    .command('eval')
    .argument('<change>', 'a change id, or the path of its spec (changes/x.yaml)')
    .description('run baseline and candidate on the same cases and gate on a paired statistical verdict')
    .option('-c, --config <file>', 'project file (default: the nearest ballast.yaml)')
    .option(
      '--dataset <file>',
      'dataset file (JSONL, CSV, YAML or promptfooconfig.yaml); repeatable',
      collect,
      [],
    )
    .option('--repeat <n>', 'samples per case and arm (default: offline.repeats)')
    .option('--concurrency <n>', 'model calls in flight', '10')
    .option('--cache <mode>', `response cache: ${CACHE_MODES.join(', ')}`, 'off')
    .option('--limit <n>', 'evaluate the first N cases')
    .option('--filter <tag>', 'only cases with this tag; repeatable (all must match)', collect, [])
    .option('--shard <i/n>', 'evaluate shard i of n (split by case id)')
    .option('--resume <run>', 'continue an interrupted run without redoing finished cases')
    .option('--baseline-run <run>', "reuse a stored run's baseline outputs (same data required)")
    .option(
      '--perturb <kinds>',
      'add perturbed copies: typos, casing, whitespace, truncation, injection, padding',
      collect,
      [],
    )
    .option('--seed <n>', 'seed of the bootstrap and perturbations', '0')
    .option(
      '--judge <variant>',
      'the variant that grades promptfoo llm-rubric assertions (default: offline.judge)',
    )
    .option(
      '--merge <runs>',
      'one verdict over completed runs of disjoint cases (the shards of a gate), no model calls; repeatable or comma-separated',
      collect,
      [],
    )
    .option('--json', 'print the report as JSON (versioned schema)', false)
    .option('--junit <file>', 'write JUnit XML')
    .option('--markdown <file>', 'write a Markdown summary for a pull request')
    .option('--out <file>', 'write the JSON report to a file')
    .option('--inconclusive <pass|fail>', 'exit 0 or 1 instead of 4 when the verdict is inconclusive')
    .option('--db <url>', 'store for runs and the cache (default: BALLAST_DB, else the project store)')
    .action(async (changeArg: string, opts: EvalFlags) => {
      const parsed = parseFlags(opts);
      if (typeof parsed === 'string') {
        deps.io.err(parsed);
        return setExit(EXIT.USAGE);
      }
      const loaded = requireProject(deps, opts.config, { projectFileOnly: true });
      const storeUrl = storeUrlFor(deps, opts);
      const progress = startProgress(deps.io, { enabled: !opts.json, label: 'cases' });
      let report: EvalReport;
      try {
        report = await deps.evaluate(
          loaded,
          {
            ...parsed,
            change: changeArg,
            storeUrl,
            // The terminal table and the Markdown summary do not list every case.
            perCase: Boolean(opts.json || opts.out || opts.junit),
          },
          progress,
        );
      } finally {
        progress.stop();
      }
      const written = await deps.writeReport(report, {
        ...(opts.junit ? { junit: opts.junit } : {}),
        ...(opts.markdown ? { markdown: opts.markdown } : {}),
        ...(opts.out ? { json: opts.out } : {}),
      });
      const warnings = (report as { warnings?: string[] }).warnings ?? [];
      for (const w of warnings) deps.io.err(deps.io.color.yellow(`warning: ${w}`));
      if (opts.json) printJson(deps.io, report);
      else {
        for (const line of reportTerminal(report, deps.io.color)) deps.io.out(line);
        for (const w of written) deps.io.err(deps.io.color.dim(`wrote ${w}`));
      }
      setExit(report.exitCode);
    });
}
