import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { resolve } from 'node:path';
import type { EvalOptions } from '../cli/deps.js';
import type { Progress } from '../cli/progress.js';
import type { LoadedProject } from '../config/load-project.js';
import { BallastError } from '../core/errors.js';
import type { EvalReport } from '../core/eval/report-schema.js';
import type { LoadedChange } from '../core/spec/analyse-project.js';

/** SQLite page cache of an eval run, in KiB (SQLite's own default). */
const EVAL_SQLITE_CACHE_KIB = 2000;

/** The change a command names: its id, or the path of its spec relative to the working folder. */
export function findChange(loaded: LoadedProject, arg: string, cwd: string): LoadedChange {
  const byId = loaded.changes.find((c) => c.spec.id === arg);
  if (byId) return byId;
  const byPath = loaded.changes.find((c) => resolve(cwd, c.file) === resolve(cwd, arg));
  if (byPath) return byPath;
  const broken = loaded.diagnostics.some(
    (d) => d.severity === 'error' && resolve(cwd, d.file) === resolve(cwd, arg),
  );
  throw new BallastError(
    broken ? 'BALLAST_ERR_SPEC' : 'BALLAST_ERR_NOT_FOUND',
    broken
      ? `${arg} is invalid; run \`ballast validate\``
      : `no change "${arg}"; known: ${loaded.changes.map((c) => c.spec.id).join(', ') || 'none'}`,
  );
}

/**
 * The composition of `ballast eval`: store, models (with the response cache), datasets, custom
 * scorer modules and the system clock around the evaluateChange use case, then the report.
 */
export async function evaluate(
  loaded: LoadedProject,
  options: EvalOptions,
  progress: Progress,
  cwd: string,
  version: string,
): Promise<EvalReport> {
  const change = findChange(loaded, options.change, cwd).spec;
  const [
    { openStore },
    { createModelRegistry },
    { systemClock },
    { projectDatasets },
    { projectScorerModules },
  ] = await Promise.all([
    import('../adapters/store/open-store.js'),
    import('../adapters/providers/model-registry.js'),
    import('../adapters/system-clock.js'),
    import('../adapters/files/dataset-source.js'),
    import('../adapters/files/scorer-modules.js'),
  ]);
  const { evaluateChange } = await import('../app/eval/evaluate-change.js');
  const { buildReport, worstRegressionIds } = await import('../core/eval/report.js');
  const { fromRows } = await import('../app/eval/sample-rows.js');
  const { perturbCases } = await import('../app/eval/perturb-cases.js');
  // An eval run appends its results and reads back a few cases: SQLite's own 2 MB page cache is
  // enough, where better-sqlite3's 16 MB filled up with pages written once (peak RSS of a
  // 10,000-case run 154 → 138 MB; docs/eval.md, "Speed and memory").
  const store = await openStore(options.storeUrl, { sqliteCacheKiB: EVAL_SQLITE_CACHE_KIB });
  // Ctrl-C or a CI runner's SIGTERM stops the run between calls; the run stays `running` with the
  // cases it finished, and the error names it with the `--resume` hint.
  const stop = new AbortController();
  // HTTP and sim calls share one listener per provider (AbortFanout), but a fault profile's delays
  // each listen to it, up to --concurrency at once: not a leak, so no warning.
  setMaxListeners(0, stop.signal);
  const onSignal = (signal: NodeJS.Signals) =>
    stop.abort(new BallastError('BALLAST_ERR_INTERRUPTED', `stopped by ${signal}`));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const models = await createModelRegistry({
      project: loaded.project!,
      rootDir: loaded.rootDir,
      clock: systemClock,
      seed: options.seed,
      ...(options.cache === 'off' ? {} : { cache: { mode: options.cache, store: store.responseCache } }),
    });
    try {
      const runId = `run-${new Date(systemClock.now()).toISOString().slice(0, 10)}-${randomUUID().slice(0, 8)}`;
      const datasets = projectDatasets(loaded.rootDir);
      const evaluation =
        options.merge.length > 0
          ? await (await import('../app/eval/merge-runs.js')).mergeRuns(
              { runId, change, runIds: options.merge, perturb: perturbCases },
              { store, datasets, clock: systemClock },
            )
          : await evaluateChange(
              {
                runId,
                change,
                project: loaded.project!,
                systemPrompts: loaded.systemPrompts,
                datasets: options.datasets,
                ...(options.repeats === undefined ? {} : { repeats: options.repeats }),
                concurrency: options.concurrency,
                seed: options.seed,
                selection: {
                  filter: options.filter,
                  ...(options.limit === undefined ? {} : { limit: options.limit }),
                  ...(options.shard ? { shard: options.shard } : {}),
                },
                ...(options.perturb.length > 0
                  ? { perturb: (cases) => perturbCases(cases, options.perturb, options.seed) }
                  : {}),
                ...(options.resume ? { resumeRunId: options.resume } : {}),
                ...(options.baselineRun ? { baselineRunId: options.baselineRun } : {}),
                ...(options.judge ? { judge: options.judge } : {}),
                options: {
                  cache: options.cache,
                  concurrency: options.concurrency,
                  seed: options.seed,
                  perturb: [...options.perturb],
                  ...(options.judge ? { judge: options.judge } : {}),
                  ...(options.shard ? { shard: `${options.shard.index}/${options.shard.count}` } : {}),
                },
              },
              {
                models,
                store,
                datasets,
                modules: projectScorerModules(loaded.rootDir),
                clock: systemClock,
                signal: stop.signal,
                onStart: (n) => progress.start(n),
                onCaseDone: (done, total) => progress.update(done, total),
              },
            );
      const variant = (name: string) => {
        const v = loaded.project!.variants[name]!;
        return { name, provider: `${v.provider}/${v.model}` };
      };
      const report = buildReport({
        runId: evaluation.runId,
        change,
        baseline: variant(evaluation.baselineVariant),
        candidate: variant(evaluation.candidateVariant),
        datasets: {
          hash: evaluation.datasetHash,
          files: evaluation.datasets.map((d) => ({
            path: d.file,
            hash: d.hash,
            cases: d.cases,
          })),
        },
        options: {
          repeats: options.repeats ?? change.offline.repeats,
          concurrency: options.concurrency,
          cache: options.cache,
          seed: options.seed,
          limit: options.limit ?? null,
          filter: [...options.filter],
          shard: options.shard ?? null,
          inconclusive: options.inconclusive,
          resume: options.resume ?? null,
          baselineRun: options.baselineRun ?? null,
          ...(options.merge.length > 0 ? { merged: [...options.merge] } : {}),
        },
        startedAt: evaluation.startedAt,
        finishedAt: evaluation.finishedAt,
        verdict: evaluation.verdict,
        cases: evaluation.paired,
        // Only the worst regressions' outputs are shown: their samples are read back from the store.
        samples: [
          ...fromRows(
            await store.evalRuns.caseResults(evaluation.runId, worstRegressionIds(evaluation.paired)),
          ).values(),
        ].flat(),
        evalCases: evaluation.cases,
        perCase: options.perCase ?? true,
        // Judges use the cache too; the report's rate is per arm sample, so scale by the hit rate.
        cacheHits: Math.round(
          models.cacheStats().hitRate *
            evaluation.paired.reduce((n, c) => n + c.baseline.samples + c.candidate.samples, 0),
        ),
        ballastVersion: version,
      });
      const withWarnings = { ...report, warnings: [...evaluation.warnings] };
      // The stored summary leaves out the per-case array: eval_case_results holds every case
      // already (pairCases rebuilds these entries from it), and a second copy cost 3.2 MB and
      // ≈ 150 ms to write at 10,000 cases, read again by every listing of the runs.
      const { cases: _perCase, ...summary } = withWarnings;
      await store.evalRuns.finish(evaluation.runId, {
        status: 'completed',
        verdict: report.verdict,
        summary: summary as unknown as Record<string, never>,
        at: systemClock.now(),
      });
      return withWarnings;
    } finally {
      await models.close();
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await store.close();
  }
}
