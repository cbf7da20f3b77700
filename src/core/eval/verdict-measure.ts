/**
 * What a criterion compares on each case. Kept apart from the decision so the mapping from a
 * criterion to per-case numbers is one small, testable table.
 */
import type { ArmSummary, CriterionSpec, PairedCase } from './types.js';

/**
 * Latency and cost are better when lower; scores and pass rates when higher. non_inferior and
 * superior are about "worse" and "better", so for latency and cost their boundary and
 * direction flip (non_inferior by m: Δ ≤ +m; superior by e: Δ ≤ −e), while Δ stays
 * mean(candidate − baseline) so that the sign a reviewer sees is always the plain difference.
 */
export function lowerIsBetter(measure: CriterionSpec['measure']): boolean {
  return measure === 'latency' || measure === 'cost';
}

/**
 * One arm's value on one case: `score` → the scorer's mean score (the weighted score when no
 * scorer is named); `pass` → the scorer's pass rate (the share of samples passing every
 * scorer when none is named); `latency`/`cost` → mean latency (ms) / cost (USD) of the samples
 * that answered. Undefined when the named scorer has no score on this arm, and for latency and
 * cost when every call of the arm failed (there is no answer to time or price).
 */
export function measureValue(arm: ArmSummary, criterion: CriterionSpec): number | undefined {
  const { measure, scorer } = criterion;
  if (measure === 'score') return scorer === undefined ? arm.score : arm.scorerScores[scorer];
  if (measure === 'pass') return scorer === undefined ? arm.passRate : arm.scorerPassRates[scorer];
  if (arm.samples > 0 && arm.errors >= arm.samples) return undefined;
  return measure === 'latency' ? arm.latencyMs : arm.costUsd;
}

/**
 * Whether the case passes on this arm: the arm's majority verdict (`pass`), or with a scorer
 * named, at least half its samples passing that scorer — the same rule as ArmSummary.pass.
 * Undefined when the scorer has no score on this arm.
 */
export function casePasses(arm: ArmSummary, scorer: string | undefined): boolean | undefined {
  if (scorer === undefined) return arm.pass;
  const rate = arm.scorerPassRates[scorer];
  return rate === undefined ? undefined : rate >= 0.5;
}

/**
 * Pass/fail on both arms of a case, or undefined when the scorer scored neither arm (it does
 * not apply to the case, or does not exist). When it scored only one arm, the other arm's
 * calls all failed, and an unscored arm does not pass — otherwise a candidate whose calls
 * fail would slip out of the comparison exactly where it is worst.
 */
export function pairPasses(c: PairedCase, scorer: string | undefined): [boolean, boolean] | undefined {
  const before = casePasses(c.baseline, scorer);
  const after = casePasses(c.candidate, scorer);
  if (before === undefined && after === undefined) return undefined;
  return [before ?? false, after ?? false];
}

export interface PairedValues {
  readonly ids: string[];
  readonly baseline: number[];
  readonly candidate: number[];
}

/**
 * The criterion's values on both arms, in case order. A case the scorer scored on neither arm
 * is left out; an arm it did not score counts as 0 (see pairPasses for why); for latency and
 * cost, a case either arm did not answer at all is left out. A case with a
 * value that is not a finite number is left out rather than poisoning every mean with NaN.
 */
export function pairedValues(cases: readonly PairedCase[], criterion: CriterionSpec): PairedValues {
  const ids: string[] = [];
  const baseline: number[] = [];
  const candidate: number[] = [];
  for (const c of cases) {
    const b = measureValue(c.baseline, criterion);
    const k = measureValue(c.candidate, criterion);
    if (b === undefined && k === undefined) continue;
    // Latency and cost compare answers: a case an arm did not answer is not compared (its
    // failures count against the scores and pass rates instead).
    if (lowerIsBetter(criterion.measure) && (b === undefined || k === undefined)) continue;
    const bv = b ?? 0;
    const kv = k ?? 0;
    if (!Number.isFinite(bv) || !Number.isFinite(kv)) continue;
    ids.push(c.id);
    baseline.push(bv);
    candidate.push(kv);
  }
  return { ids, baseline, candidate };
}

/** The criterion's label in reports: its `name`, else rule, scorer and measure. */
export function criterionName(criterion: CriterionSpec): string {
  if (criterion.name !== undefined && criterion.name !== '') return criterion.name;
  const parts: string[] = [criterion.rule];
  if (criterion.scorer !== undefined) parts.push(criterion.scorer);
  if (criterion.rule === 'no_new_failures') parts.push(criterion.tag);
  else parts.push(criterion.measure);
  return parts.join(' ');
}

/** What is measured, as a reason's opening words: "close-to-reference", "pass rate", "latency". */
export function subject(criterion: CriterionSpec): string {
  const { measure, scorer } = criterion;
  if (measure === 'latency' || measure === 'cost') return measure;
  if (measure === 'pass') return scorer === undefined ? 'pass rate' : `${scorer} pass rate`;
  return scorer ?? 'score';
}
