/**
 * From samples to cases. The case is the unit of analysis (STATS.md §4): repeats of one case
 * at temperature > 0 are correlated, so they are averaged within the case first and only the
 * case means are compared. Treating samples as independent would shrink the standard error by
 * up to √repeats and pass candidates that are not shown to be safe.
 */
import type { ArmSummary, PairedCase, SampleResult } from './types.js';

const EMPTY: ArmSummary = Object.freeze({
  samples: 0,
  score: 0,
  scorerScores: Object.freeze({}),
  passRate: 0,
  scorerPassRates: Object.freeze({}),
  pass: false,
  latencyMs: 0,
  costUsd: 0,
  errors: 0,
  flaky: false,
});

/**
 * One arm on one case. Per-scorer means and pass rates are over all the arm's samples: a
 * sample without that scorer's score (its call failed, so nothing was scored) counts as score
 * 0 and not passing — as the sample's own `score` and `pass` do — so that errors cannot lift a
 * scorer's mean by dropping out of it. No samples gives zeros and `pass: false`.
 */
export function summariseArm(samples: readonly SampleResult[]): ArmSummary {
  const n = samples.length;
  if (n === 0) return EMPTY;
  let score = 0;
  let passes = 0;
  let latency = 0;
  let cost = 0;
  let errors = 0;
  // Latency and cost of the answers: a failed call is quick and free, and must not make a
  // failing candidate look fast or cheap. With every call failed, the failures' own.
  let okLatency = 0;
  let okCost = 0;
  const scorerSums = new Map<string, { score: number; passes: number }>();
  for (const s of samples) {
    score += s.score;
    if (s.pass) passes++;
    latency += s.latencyMs;
    cost += s.costUsd;
    if (s.failure !== undefined) errors++;
    else {
      okLatency += s.latencyMs;
      okCost += s.costUsd;
    }
    for (const sc of s.scores) {
      const acc = scorerSums.get(sc.scorer) ?? { score: 0, passes: 0 };
      acc.score += sc.score;
      if (sc.pass) acc.passes++;
      scorerSums.set(sc.scorer, acc);
    }
  }
  const scorerScores: Record<string, number> = {};
  const scorerPassRates: Record<string, number> = {};
  for (const [name, acc] of scorerSums) {
    scorerScores[name] = acc.score / n;
    scorerPassRates[name] = acc.passes / n;
  }
  const passRate = passes / n;
  return {
    samples: n,
    score: score / n,
    scorerScores,
    passRate,
    scorerPassRates,
    // Majority of samples, ties passing: with 2 repeats one pass in two is not a regression.
    pass: passRate >= 0.5,
    latencyMs: errors < n ? okLatency / (n - errors) : latency / n,
    costUsd: errors < n ? okCost / (n - errors) : cost / n,
    errors,
    flaky: passes > 0 && passes < n,
  };
}

/**
 * Both arms per case, in the order of `cases`. A case without at least one sample in each arm
 * cannot be compared paired and is left out (the runner reports unfinished cases itself);
 * results for ids not in `cases` are ignored.
 */
export function pairCases(
  results: readonly SampleResult[],
  cases: readonly { readonly id: string; readonly tags: readonly string[] }[],
): PairedCase[] {
  const byCase = new Map<string, { baseline: SampleResult[]; candidate: SampleResult[] }>();
  for (const r of results) {
    let arms = byCase.get(r.caseId);
    if (arms === undefined) {
      arms = { baseline: [], candidate: [] };
      byCase.set(r.caseId, arms);
    }
    arms[r.arm].push(r);
  }
  const paired: PairedCase[] = [];
  const seen = new Set<string>();
  for (const c of cases) {
    const arms = byCase.get(c.id);
    // A dataset may repeat an id; pair it once.
    if (arms === undefined || seen.has(c.id)) continue;
    seen.add(c.id);
    const one = pairCase(c, arms.baseline, arms.candidate);
    if (one) paired.push(one);
  }
  return paired;
}

/**
 * One case from its samples of each arm, as pairCases does it; undefined when an arm has none.
 * The runner calls it as each case finishes, so only the summaries stay in memory.
 */
export function pairCase(
  c: { readonly id: string; readonly tags: readonly string[] },
  baseline: SampleResult[],
  candidate: SampleResult[],
): PairedCase | undefined {
  const arms = summarisePair(baseline, candidate);
  return arms === undefined ? undefined : { id: c.id, tags: c.tags, ...arms };
}

/** Both arms' summaries of one case; undefined when an arm has no samples. */
export function summarisePair(
  baseline: SampleResult[],
  candidate: SampleResult[],
): { baseline: ArmSummary; candidate: ArmSummary } | undefined {
  if (baseline.length === 0 || candidate.length === 0) return undefined;
  return { baseline: summariseArm(bySample(baseline)), candidate: summariseArm(bySample(candidate)) };
}

/** Samples in index order, so summaries do not depend on the order results arrived in. */
function bySample(samples: SampleResult[]): SampleResult[] {
  return samples.sort((a, b) => a.sample - b.sample);
}
