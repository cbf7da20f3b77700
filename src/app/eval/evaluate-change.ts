import { BallastError, isBallastError } from '../../core/errors.js';
import { candidateFingerprint } from '../../core/eval/candidate-fingerprint.js';
import type { EvalCase, ScorerSpec } from '../../core/eval/types.js';
import { contentHash } from '../../core/hash/content-hash.js';
import type { ChangeSpec } from '../../core/spec/change-schema.js';
import type { ProjectConfig } from '../../core/spec/project-schema.js';
import type { Clock } from '../ports/clock.js';
import type { DatasetSource, LoadedDataset } from '../ports/dataset-source.js';
import type { JsonObject } from '../ports/json-value.js';
import type { ModelRegistry } from '../ports/model-registry.js';
import type { ScorerModules } from '../ports/scorer-modules.js';
import type { Store } from '../ports/store.js';
import { type RunEvalResult, runEval } from './run-eval.js';
import { fromRows } from './sample-rows.js';
import { createScoring } from './scoring.js';
import { type CaseSelection, selectCases } from './select-cases.js';

export interface EvaluateRequest {
  readonly runId: string;
  readonly change: ChangeSpec;
  readonly project: ProjectConfig;
  readonly systemPrompts: Readonly<Record<string, string>>;
  /** Dataset files; the change's `offline.datasets` when empty. */
  readonly datasets: readonly string[];
  readonly repeats?: number;
  readonly concurrency: number;
  readonly seed: number;
  readonly selection: CaseSelection;
  /** Extra copies of each case, perturbed the same way for both arms. */
  readonly perturb?: (cases: readonly EvalCase[]) => EvalCase[];
  readonly resumeRunId?: string;
  readonly baselineRunId?: string;
  /** Grades promptfoo llm-rubric assertions (`--judge`); default the change's `offline.judge`. */
  readonly judge?: string;
  /** Recorded with the run (cache mode, flags), for reports and audits. */
  readonly options: JsonObject;
}

export interface EvaluateDeps {
  readonly models: ModelRegistry;
  readonly store: Store;
  readonly datasets: DatasetSource;
  readonly modules: ScorerModules;
  readonly clock: Clock;
  readonly onStart?: (cases: number) => void;
  readonly onCaseDone?: (done: number, total: number) => void;
  readonly signal?: AbortSignal;
}

export interface Evaluation extends RunEvalResult {
  readonly runId: string;
  readonly baselineVariant: string;
  readonly candidateVariant: string;
  readonly datasets: readonly { file: string; hash: string; cases: number }[];
  readonly datasetHash: string;
  readonly cases: readonly EvalCase[];
  readonly warnings: readonly string[];
  readonly startedAt: number;
  readonly finishedAt: number;
}

/**
 * `ballast eval` as a use case: the change's candidate against its route's stable variant on the
 * same cases, stored as a run, with the paired verdict. Resuming continues a run without redoing
 * finished cases; `baselineRunId` reuses a stored baseline when the data is the same.
 */
export async function evaluateChange(request: EvaluateRequest, deps: EvaluateDeps): Promise<Evaluation> {
  const { change, project } = request;
  const route = project.routes[change.route];
  if (!route) throw new BallastError('BALLAST_ERR_CONFIG', `route ${change.route} is not defined`);
  const baselineVariant = route.stable;
  const files = request.datasets.length > 0 ? request.datasets : change.offline.datasets;
  if (files.length === 0) {
    throw new BallastError(
      'BALLAST_ERR_USAGE',
      `change ${change.id} names no dataset: add offline.datasets or pass --dataset`,
    );
  }
  const judge = request.judge ?? change.offline.judge;
  if (judge !== undefined && !project.variants[judge])
    throw new BallastError('BALLAST_ERR_USAGE', `the judge "${judge}" is not a variant of the project`);
  const { loaded, datasetHash } = await readDatasets(deps.datasets, files, judge);
  let cases = selectCases(loaded.flatMap(withDatasetScorers), request.selection);
  if (request.perturb) cases = [...cases, ...request.perturb(cases)];
  if (cases.length === 0)
    throw new BallastError('BALLAST_ERR_USAGE', 'no case to evaluate after --filter/--limit/--shard');
  assertUniqueIds(cases);

  // Scorers are built before any run is recorded or any model called: a bad scorer value is a
  // spec error (exit 2) found in a second, not after the first batch of calls.
  const scorerSpecs = change.offline.scorers;
  assertCriteriaScorers(change, scorerSpecs, cases);
  const scoring = await createScoring({
    specs: scorerSpecs,
    caseSpecs: caseAsserts,
    judge: (variant) => deps.models.forVariant(variant),
    modules: deps.modules,
  });
  // What must match for a stored baseline to be reused: how it was scored and prompted.
  const scoringHash = contentHash(
    JSON.stringify({
      scorers: scorerSpecs,
      prompt: request.systemPrompts[baselineVariant] ?? null,
      perturbSeed: request.perturb ? request.seed : null,
      // The judge grades promptfoo rubrics inside the cases' own assertions, outside the file's hash.
      ...(judge !== undefined ? { judge } : {}),
    }),
  );

  const startedAt = deps.clock.now();
  let completed: Set<string> | undefined;
  if (request.resumeRunId) {
    const run = await deps.store.evalRuns.get(request.resumeRunId);
    if (!run) throw new BallastError('BALLAST_ERR_NOT_FOUND', `no eval run ${request.resumeRunId} to resume`);
    if (run.datasetHash !== datasetHash) {
      throw new BallastError(
        'BALLAST_ERR_USAGE',
        `run ${run.id} was on other data (dataset hash ${run.datasetHash}, now ${datasetHash})`,
      );
    }
    if (run.status !== 'running')
      throw new BallastError(
        'BALLAST_ERR_USAGE',
        `run ${run.id} is ${run.status}; only a running run resumes`,
      );
    completed = new Set(await deps.store.evalRuns.completedCaseIds(run.id));
  } else {
    await deps.store.evalRuns.create({
      id: request.runId,
      changeId: change.id,
      baselineVariant,
      candidateVariant: change.candidate,
      datasetHash,
      config: {
        ...request.options,
        datasets: files.map(String),
        scoringHash,
        // The candidate as evaluated: `rollout start` refuses a pass of a candidate changed since.
        candidateHash: candidateFingerprint(request.project, request.systemPrompts, change.candidate),
        ...(judge !== undefined ? { judge } : {}),
      },
      at: startedAt,
    });
  }
  const runId = request.resumeRunId ?? request.runId;

  let storedBaseline:
    | Map<string, ReturnType<typeof fromRows> extends Map<string, infer V> ? V : never>
    | undefined;
  if (request.baselineRunId) {
    const base = await deps.store.evalRuns.get(request.baselineRunId);
    if (!base) throw new BallastError('BALLAST_ERR_NOT_FOUND', `no eval run ${request.baselineRunId}`);
    if (base.datasetHash !== datasetHash) {
      throw new BallastError(
        'BALLAST_ERR_USAGE',
        `--baseline-run ${base.id} was on other data (dataset hash ${base.datasetHash}, now ${datasetHash}); run the baseline again`,
      );
    }
    if (base.baselineVariant !== baselineVariant) {
      throw new BallastError(
        'BALLAST_ERR_USAGE',
        `--baseline-run ${base.id} evaluated ${base.baselineVariant}, not ${baselineVariant}`,
      );
    }
    if (base.config.scoringHash !== scoringHash) {
      throw new BallastError(
        'BALLAST_ERR_USAGE',
        `--baseline-run ${base.id} was scored or prompted differently (other scorers or judge, baseline prompt or perturbation seed); run the baseline again`,
      );
    }
    const rows = fromRows(
      (await deps.store.evalRuns.caseResults(base.id)).filter((r) => r.arm === 'baseline'),
    );
    storedBaseline = rows;
  }

  const arm = (variant: string) => {
    const config = project.variants[variant];
    if (!config) throw new BallastError('BALLAST_ERR_CONFIG', `variant ${variant} is not defined`);
    const systemPrompt = request.systemPrompts[variant];
    return {
      variant,
      config,
      provider: deps.models.forVariant(variant),
      ...(systemPrompt === undefined ? {} : { systemPrompt }),
    };
  };
  deps.onStart?.(cases.length);
  try {
    const result = await runEval({
      runId,
      change,
      baseline: arm(baselineVariant),
      candidate: arm(change.candidate),
      cases,
      repeats: request.repeats ?? change.offline.repeats,
      concurrency: request.concurrency,
      seed: request.seed,
      scoring,
      store: deps.store.evalRuns,
      clock: deps.clock,
      ...(completed ? { completed } : {}),
      // A simulated user is played by the variant the case names, else the route's stable one.
      simulatedUser: (spec) => ({
        provider: deps.models.forVariant(spec.variant ?? baselineVariant),
        persona: spec.persona,
        goal: spec.goal,
        maxTurns: spec.maxTurns,
      }),
      ...(storedBaseline ? { storedBaseline } : {}),
      ...(deps.onCaseDone ? { onCaseDone: deps.onCaseDone } : {}),
      ...(deps.signal ? { signal: deps.signal } : {}),
    });
    return {
      ...result,
      runId,
      baselineVariant,
      candidateVariant: change.candidate,
      datasets: loaded.map((d) => ({ file: d.file, hash: d.hash, cases: d.cases.length })),
      datasetHash,
      cases,
      warnings: loaded.flatMap((d) => [...(d.warnings ?? [])]),
      startedAt,
      finishedAt: deps.clock.now(),
    };
  } catch (error) {
    // The run stays `running` with the cases it finished, so `--resume` can continue it.
    throw new BallastError(
      isBallastError(error) ? error.code : 'BALLAST_ERR_INTERNAL',
      `${error instanceof Error ? error.message : String(error)}\nrun ${runId} was interrupted; continue it with --resume ${runId}`,
      { cause: error, details: { runId } },
    );
  }
}

/**
 * The run's dataset files, read in order, and the hash of their contents that a run records (and
 * that `--baseline-run`, `--resume` and `--merge` compare). `judge` grades promptfoo rubrics.
 */
export async function readDatasets(
  source: DatasetSource,
  files: readonly string[],
  judge: string | undefined,
): Promise<{ loaded: LoadedDataset[]; datasetHash: string }> {
  const loaded: LoadedDataset[] = [];
  for (const file of files) loaded.push(await source.read(file, judge !== undefined ? { judge } : {}));
  return { loaded, datasetHash: contentHash(loaded.map((d) => d.hash).join(':')) };
}

function assertUniqueIds(cases: readonly EvalCase[]): void {
  const seen = new Set<string>();
  for (const c of cases) {
    if (seen.has(c.id))
      throw new BallastError('BALLAST_ERR_DATASET', `case id ${c.id} appears twice across the datasets`);
    seen.add(c.id);
  }
}

/**
 * Every criterion's `scorer` must be the name of a scorer of the change, of a dataset (promptfoo's
 * defaultTest) or of some case's own assertion; otherwise its criterion could only ever be
 * inconclusive, so the run is refused before any call (`ballast validate` can only warn: it does
 * not read the datasets).
 */
function assertCriteriaScorers(
  change: ChangeSpec,
  specs: readonly ScorerSpec[],
  cases: readonly EvalCase[],
): void {
  const wanted = change.offline.criteria.flatMap((c) => (c.scorer === undefined ? [] : [c.scorer]));
  if (wanted.length === 0) return;
  const names = new Set(specs.map((s) => s.name ?? s.type));
  for (const c of cases) for (const s of caseAsserts(c)) names.add(s.name ?? s.type);
  const unknown = [...new Set(wanted.filter((name) => !names.has(name)))];
  if (unknown.length > 0)
    throw new BallastError(
      'BALLAST_ERR_USAGE',
      `change ${change.id}: ${unknown.map((n) => `criterion scorer "${n}"`).join(', ')} is not the name of any scorer of offline.scorers or of the datasets' assertions (${[...names].sort().join(', ') || 'none'})`,
    );
}

/**
 * A dataset's own scorers (promptfoo's `defaultTest.assert`) apply to that dataset's cases only:
 * they go first in each case's assertions, so a case's own assertion of the same name wins.
 */
function withDatasetScorers(d: LoadedDataset): readonly EvalCase[] {
  const scorers = d.scorers ?? [];
  if (scorers.length === 0) return d.cases;
  return d.cases.map((c) => ({ ...c, assert: [...scorers, ...((c.assert ?? []) as readonly ScorerSpec[])] }));
}

/** A case's own `assert` entries as scorer specs (validated when the dataset is read). */
function caseAsserts(c: EvalCase): readonly ScorerSpec[] {
  return (c.assert ?? []) as readonly ScorerSpec[];
}
