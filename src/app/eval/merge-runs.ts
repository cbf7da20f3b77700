import { BallastError } from '../../core/errors.js';
import { pairCases } from '../../core/eval/aggregate.js';
import type { EvalCase, SampleResult } from '../../core/eval/types.js';
import { decide } from '../../core/eval/verdict.js';
import type { ChangeSpec } from '../../core/spec/change-schema.js';
import type { Clock } from '../ports/clock.js';
import type { DatasetSource } from '../ports/dataset-source.js';
import type { CaseResultInput, EvalRun } from '../ports/eval-run-store.js';
import type { Store } from '../ports/store.js';
import { type Evaluation, readDatasets } from './evaluate-change.js';
import { fromRows } from './sample-rows.js';

export interface MergeRequest {
  /** The id of the merged run, stored like any run. */
  readonly runId: string;
  readonly change: ChangeSpec;
  /** Completed runs of the change on disjoint cases: the shards of one gate. */
  readonly runIds: readonly string[];
  /** How the runs made their perturbed copies (perturbCases), to find those copies' tags. */
  readonly perturb: (cases: readonly EvalCase[], kinds: readonly string[], seed: number) => EvalCase[];
}

export interface MergeDeps {
  readonly store: Store;
  readonly datasets: DatasetSource;
  readonly clock: Clock;
}

/** Rows go to the store in batches of this many, as a run writes them. */
const ROWS_PER_WRITE = 500;

const usage = (message: string) => new BallastError('BALLAST_ERR_USAGE', message);

/**
 * `ballast eval --merge`: one verdict over the cases of several completed runs of a change — the
 * shards of a gate split across CI jobs — without calling any model. The runs must have been made
 * on the same data and scored the same way, on disjoint cases; the verdict is then exactly the one
 * a single run over all those cases would reach from the same samples (the statistics take the
 * case as the unit, so how cases were split across jobs does not enter). The merged run is stored
 * with copies of the runs' rows, for the dashboard and for `--baseline-run`.
 */
export async function mergeRuns(request: MergeRequest, deps: MergeDeps): Promise<Evaluation> {
  const { change } = request;
  const ids = [...new Set(request.runIds)];
  if (ids.length < 2) throw usage('--merge needs at least two runs (the shards of one gate)');
  const runs: EvalRun[] = [];
  for (const id of ids) {
    const run = await deps.store.evalRuns.get(id);
    if (!run) throw new BallastError('BALLAST_ERR_NOT_FOUND', `no eval run ${id}`);
    runs.push(run);
  }
  const first = runs[0] as EvalRun;
  const setting = (run: EvalRun, key: string) => JSON.stringify(run.config[key] ?? null);
  for (const run of runs) {
    if (run.changeId !== change.id)
      throw usage(`run ${run.id} evaluated change ${run.changeId}, not ${change.id}`);
    if (run.status !== 'completed')
      throw usage(
        `run ${run.id} is ${run.status}; only completed runs merge${run.status === 'running' ? ` (finish it with --resume ${run.id})` : ''}`,
      );
    if (run.baselineVariant !== first.baselineVariant || run.candidateVariant !== first.candidateVariant)
      throw usage(
        `run ${run.id} compared ${run.candidateVariant} with ${run.baselineVariant}, run ${first.id} ${first.candidateVariant} with ${first.baselineVariant}`,
      );
    if (run.datasetHash !== first.datasetHash)
      throw usage(
        `runs ${first.id} and ${run.id} were on other data (dataset hashes ${first.datasetHash}, ${run.datasetHash})`,
      );
    for (const key of ['scoringHash', 'datasets', 'seed', 'perturb'])
      if (setting(run, key) !== setting(first, key))
        throw usage(
          `runs ${first.id} and ${run.id} were made differently (${key === 'scoringHash' ? 'scorers, judge or baseline prompt' : key}); merge runs of one gate`,
        );
  }

  // The datasets as the runs read them, unchanged since: they give each case its tags (slices,
  // no_new_failures) and the worst regressions their inputs.
  const files = (first.config.datasets ?? []) as string[];
  const judge = typeof first.config.judge === 'string' ? first.config.judge : undefined;
  const { loaded, datasetHash } = await readDatasets(deps.datasets, files, judge);
  if (datasetHash !== first.datasetHash)
    throw usage(
      `the datasets changed since the runs (hash ${datasetHash}, the runs ${first.datasetHash}); merge them on the checkout they ran on`,
    );
  let cases: EvalCase[] = loaded.flatMap((d) => [...d.cases]);
  const kinds = (first.config.perturb ?? []) as string[];
  if (kinds.length > 0) cases = [...cases, ...request.perturb(cases, kinds, Number(first.config.seed ?? 0))];
  const known = new Set(cases.map((c) => c.id));

  // Every run's rows are read and checked before anything is written: a refused merge leaves no run.
  const owner = new Map<string, string>();
  const samples: SampleResult[] = [];
  const copies: CaseResultInput[] = [];
  for (const run of runs) {
    const rows = await deps.store.evalRuns.caseResults(run.id);
    for (const [caseId, caseSamples] of fromRows(rows)) {
      const other = owner.get(caseId);
      if (other !== undefined)
        throw usage(
          `case ${caseId} is in runs ${other} and ${run.id}: merge runs of disjoint cases (the shards of one gate)`,
        );
      owner.set(caseId, run.id);
      if (!known.has(caseId)) throw usage(`case ${caseId} of run ${run.id} is not in the datasets`);
      samples.push(...caseSamples);
    }
    for (const { runId: _runId, ...row } of rows) copies.push(row);
  }
  await deps.store.evalRuns.create({
    id: request.runId,
    changeId: change.id,
    baselineVariant: first.baselineVariant,
    candidateVariant: first.candidateVariant,
    datasetHash,
    config: {
      ...first.config,
      shard: null,
      merged: ids,
      // Shards of one gate evaluated one candidate; if they did not, no start may rely on the merge.
      candidateHash:
        new Set(runs.map((r) => r.config.candidateHash ?? null)).size === 1
          ? (first.config.candidateHash ?? null)
          : 'shards-disagree',
    },
    at: deps.clock.now(),
  });
  for (let i = 0; i < copies.length; i += ROWS_PER_WRITE)
    await deps.store.evalRuns.addCaseResults(request.runId, copies.slice(i, i + ROWS_PER_WRITE));
  // In the datasets' order, as one run over these cases would have them.
  const paired = pairCases(samples, cases);
  const verdict = decide(paired, change.offline.criteria, {
    alpha: change.offline.alpha,
    minSlice: change.offline.min_slice,
    seed: Number(first.config.seed ?? 0),
  });
  const merged = new Set(paired.map((p) => p.id));
  const warnings =
    merged.size < cases.length
      ? [
          `the merged runs hold ${merged.size} of the ${cases.length} cases of the datasets: a shard may be missing (the verdict covers the merged cases only)`,
        ]
      : [];
  // The gate's span: from the first shard's start to the merge.
  const span = { startedAt: Math.min(...runs.map((r) => r.createdAt)), finishedAt: deps.clock.now() };
  return {
    runId: request.runId,
    paired,
    verdict,
    wallMs: span.finishedAt - span.startedAt,
    baselineVariant: first.baselineVariant,
    candidateVariant: first.candidateVariant,
    datasets: loaded.map((d) => ({ file: d.file, hash: d.hash, cases: d.cases.length })),
    datasetHash,
    cases: cases.filter((c) => merged.has(c.id)),
    warnings,
    ...span,
  };
}
