/**
 * Builds the `ballast eval` report (the versioned JSON document of report-schema.ts) from what
 * the runner and the verdict produced. Pure: the caller passes times as epoch milliseconds.
 */
import type { ChangeSpec } from '../spec/change-schema.js';
import type {
  EvalReport,
  ReportArmTotals,
  ReportCase,
  ReportCaseArm,
  ReportCriterion,
  ReportFlaky,
  ReportRegression,
} from './report-schema.js';
import type {
  Arm,
  ArmSummary,
  CriterionResult,
  EvalCase,
  PairedCase,
  SampleResult,
  Verdict,
  VerdictResult,
} from './types.js';

/** Outputs in the report are cut here: enough to see what went wrong, small enough for a PR comment. */
export const REPORT_TEXT_LIMIT = 300;
export const DEFAULT_WORST_REGRESSIONS = 10;

export interface ReportVariant {
  readonly name: string;
  /** The provider id from ballast.yaml. */
  readonly provider: string;
}

export interface ReportInput {
  readonly runId: string;
  readonly change: Pick<ChangeSpec, 'id' | 'title'> & {
    readonly offline: Pick<ChangeSpec['offline'], 'alpha' | 'min_slice'>;
  };
  readonly baseline: ReportVariant;
  readonly candidate: ReportVariant;
  readonly datasets: {
    readonly hash: string;
    readonly files: readonly { readonly path: string; readonly hash: string; readonly cases: number }[];
  };
  readonly options: EvalReport['options'];
  /** Epoch milliseconds. */
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly verdict: VerdictResult;
  readonly cases: readonly PairedCase[];
  /**
   * Samples of the worst regressions' cases (worstRegressionIds), for their outputs; other
   * samples are ignored, and without them the outputs are empty.
   */
  readonly samples?: readonly SampleResult[];
  /** The dataset cases, for the input and reference of the worst regressions. */
  readonly evalCases?: readonly EvalCase[];
  readonly cacheHits: number;
  readonly worstRegressions?: number;
  /**
   * List every case in `cases` (default true). Only the JSON and JUnit outputs read that list;
   * without them it is left empty, so a large run does not build a second object per case
   * (≈ 360 bytes each) just before it exits.
   */
  readonly perCase?: boolean;
  readonly ballastVersion?: string;
}

/**
 * The exit code of `ballast eval` for a verdict: 0 pass, 1 fail, 4 inconclusive unless
 * `--inconclusive` maps it to pass or fail. Same numbers as src/cli/exit-codes.ts, which core
 * may not import.
 */
export function verdictExitCode(verdict: Verdict, inconclusive: 'pass' | 'fail' | null): 0 | 1 | 4 {
  const effective = verdict === 'inconclusive' && inconclusive !== null ? inconclusive : verdict;
  return effective === 'pass' ? 0 : effective === 'fail' ? 1 : 4;
}

export function buildReport(input: ReportInput): EvalReport {
  const cases = input.perCase === false ? [] : input.cases.map(reportCase);
  let samples = 0;
  let errors = 0;
  for (const c of input.cases) {
    samples += c.baseline.samples + c.candidate.samples;
    errors += c.baseline.errors + c.candidate.errors;
  }
  const flaky = input.cases.filter((c) => c.baseline.flaky || c.candidate.flaky).map(flakyCase);
  return {
    schemaVersion: 1,
    kind: 'ballast.eval',
    ballastVersion: input.ballastVersion ?? null,
    runId: input.runId,
    change: { id: input.change.id, title: input.change.title },
    baseline: { variant: input.baseline.name, provider: input.baseline.provider },
    candidate: { variant: input.candidate.name, provider: input.candidate.provider },
    datasets: { hash: input.datasets.hash, files: input.datasets.files.map((f) => ({ ...f })) },
    options: { ...input.options, filter: [...input.options.filter] },
    gate: { alpha: input.change.offline.alpha, minSlice: input.change.offline.min_slice },
    timings: {
      startedAt: new Date(input.startedAt).toISOString(),
      finishedAt: new Date(input.finishedAt).toISOString(),
      wallMs: Math.max(0, input.finishedAt - input.startedAt),
    },
    counts: {
      cases: input.cases.length,
      samples,
      errors,
      cacheHits: input.cacheHits,
      cacheHitRate: samples === 0 ? null : input.cacheHits / samples,
      flakyCases: flaky.length,
    },
    arms: {
      baseline: armTotals(input.baseline, input.cases, 'baseline'),
      candidate: armTotals(input.candidate, input.cases, 'candidate'),
    },
    verdict: input.verdict.verdict,
    exitCode: verdictExitCode(input.verdict.verdict, input.options.inconclusive),
    criteria: input.verdict.criteria.map(reportCriterion),
    slices: input.verdict.slices.map((s) => ({
      tag: s.tag,
      n: s.n,
      verdict: s.verdict,
      criteria: s.criteria.map(reportCriterion),
    })),
    cases,
    worstRegressions: worstRegressions(input),
    flaky,
  };
}

/** JSON has no NaN or Infinity (JSON.stringify would write null anyway): say so in the type. */
function finite(value: number | undefined): number | null {
  return value !== undefined && Number.isFinite(value) ? value : null;
}

export function reportCriterion(c: CriterionResult): ReportCriterion {
  const ci = c.ci?.every(Number.isFinite) ? ([c.ci[0], c.ci[1]] as [number, number]) : null;
  return {
    name: c.name,
    rule: c.rule,
    measure: c.measure,
    scorer: c.scorer ?? null,
    status: c.status,
    n: c.n,
    baselineMean: finite(c.baselineMean),
    candidateMean: finite(c.candidateMean),
    estimate: finite(c.estimate),
    ci,
    boundary: finite(c.boundary),
    p: finite(c.p),
    pAdjusted: finite(c.pAdjusted),
    mcnemar: c.mcnemar === undefined ? null : { b: c.mcnemar.b, c: c.mcnemar.c, p: c.mcnemar.p },
    moreCases: c.status === 'inconclusive' ? (c.moreCases ?? null) : null,
    regressions: [...(c.regressions ?? [])],
    reason: c.reason,
  };
}

function caseArm(a: ArmSummary): ReportCaseArm {
  return {
    samples: a.samples,
    score: a.score,
    pass: a.pass,
    passRate: a.passRate,
    latencyMs: a.latencyMs,
    costUsd: a.costUsd,
    errors: a.errors,
    flaky: a.flaky,
  };
}

function reportCase(c: PairedCase): ReportCase {
  return {
    id: c.id,
    tags: [...c.tags],
    delta: c.candidate.score - c.baseline.score,
    flaky: c.baseline.flaky || c.candidate.flaky,
    baseline: caseArm(c.baseline),
    candidate: caseArm(c.candidate),
  };
}

function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

function armTotals(variant: ReportVariant, cases: readonly PairedCase[], arm: Arm): ReportArmTotals {
  const arms = cases.map((c) => c[arm]);
  return {
    variant: variant.name,
    provider: variant.provider,
    samples: arms.reduce((sum, a) => sum + a.samples, 0),
    errors: arms.reduce((sum, a) => sum + a.errors, 0),
    meanScore: mean(arms.map((a) => a.score)),
    passRate: mean(arms.map((a) => (a.pass ? 1 : 0))),
    meanLatencyMs: mean(arms.map((a) => a.latencyMs)),
    // ArmSummary.costUsd is the mean over a case's samples, so the arm's spend is mean × samples.
    costUsd: arms.reduce((sum, a) => sum + a.costUsd * a.samples, 0),
  };
}

function flakyCase(c: PairedCase): ReportFlaky {
  return {
    id: c.id,
    tags: [...c.tags],
    arms: (['baseline', 'candidate'] as const).filter((arm) => c[arm].flaky),
    baselinePassRate: c.baseline.passRate,
    candidatePassRate: c.candidate.passRate,
    samples: Math.max(c.baseline.samples, c.candidate.samples),
  };
}

/** Cuts text to `limit` characters (code points, so an emoji is never split), marking the cut with "…". */
export function truncateText(text: string, limit = REPORT_TEXT_LIMIT): string {
  const chars = Array.from(text);
  return chars.length <= limit ? text : `${chars.slice(0, limit - 1).join('')}…`;
}

function inputText(c: EvalCase): string {
  if (typeof c.input === 'string') return c.input;
  return c.input
    .map((m) => `${m.role}: ${typeof m.content === 'string' ? m.content : JSON.stringify(m.content)}`)
    .join('\n');
}

/**
 * The ids of the cases that lost most (candidate score − baseline score < 0), worst first, ties
 * by id: the cases whose samples the report's worst regressions need.
 */
export function worstRegressionIds(
  cases: readonly PairedCase[],
  limit: number = DEFAULT_WORST_REGRESSIONS,
): string[] {
  return cases
    .map((c) => ({ id: c.id, delta: c.candidate.score - c.baseline.score }))
    .filter((c) => c.delta < 0)
    .sort((a, b) => a.delta - b.delta || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, limit)
    .map((c) => c.id);
}

/**
 * The cases that lost most, with what each arm answered. The first sample (lowest index) stands
 * for the case: picking the worst candidate sample would overstate a regression under repeats.
 */
function worstRegressions(input: ReportInput): ReportRegression[] {
  const limit = input.worstRegressions ?? DEFAULT_WORST_REGRESSIONS;
  const firstSample = new Map<string, SampleResult>();
  for (const s of input.samples ?? []) {
    const key = `${s.arm}\u0000${s.caseId}`;
    const seen = firstSample.get(key);
    if (seen === undefined || s.sample < seen.sample) firstSample.set(key, s);
  }
  const ids = worstRegressionIds(input.cases, limit);
  const wanted = new Set(ids);
  const evalCases = new Map((input.evalCases ?? []).filter((c) => wanted.has(c.id)).map((c) => [c.id, c]));
  const arm = (c: ReportCase, which: Arm): ReportRegression['baseline'] => {
    const s = firstSample.get(`${which}\u0000${c.id}`);
    const failure = s?.failure;
    return {
      score: c[which].score,
      pass: c[which].pass,
      output: truncateText(s?.output ?? ''),
      error: failure === undefined ? null : truncateText(`${failure.kind}: ${failure.message}`),
    };
  };
  const byId = new Map(input.cases.filter((c) => wanted.has(c.id)).map((c) => [c.id, reportCase(c)]));
  return ids
    .map((id) => byId.get(id) as ReportCase)
    .map((c) => {
      const source = evalCases.get(c.id);
      return {
        id: c.id,
        tags: c.tags,
        delta: c.delta,
        input: source === undefined ? null : truncateText(inputText(source)),
        reference: source?.reference === undefined ? null : truncateText(source.reference),
        baseline: arm(c, 'baseline'),
        candidate: arm(c, 'candidate'),
      };
    });
}
