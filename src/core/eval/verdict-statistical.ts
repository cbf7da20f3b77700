/**
 * The statistical criteria — non_inferior, superior, max_ratio — in two steps, because Holm's
 * correction needs every criterion's p-value before any can be settled:
 * `planCriterion` readies one criterion for its bootstrap (which verdict.ts runs, jointly for
 * the criteria of a family on the same cases), `settleCriterion` decides it given its
 * Holm-adjusted p-value and level.
 *
 * Each criterion is a one-sided test against a boundary b, written as "θ ≥ b" (direction
 * above) or "θ ≤ b" (below), θ being Δ = mean(candidate − baseline) or the ratio
 * mean(candidate)/mean(baseline):
 *   non_inferior, margin m:   Δ ≥ −m   (latency, cost: Δ ≤ +m)
 *   superior, min_effect e:   Δ ≥ e    (latency, cost: Δ ≤ −e)
 *   max_ratio, max M:         r ≤ M
 * For "θ ≥ b" the p-value that would pass it is p_pass = P*(θ* ≤ b) and the one that fails it
 * is p_fail = P*(θ* ≥ b); mirrored for "θ ≤ b" (Davison & Hinkley 1997, §4.4, via
 * stats/paired-bootstrap).
 */
import { exactMcNemar, type McNemarResult } from '../stats/mcnemar.js';
import { moments } from '../stats/moments.js';
import { moreCases } from '../stats/more-cases.js';
import {
  type BootstrapDistribution,
  type PairedStatistic,
  percentileInterval,
  pValueAtLeast,
  pValueAtMost,
} from '../stats/paired-bootstrap.js';
import type { CriterionResult, CriterionSpec, PairedCase } from './types.js';
import { criterionName, lowerIsBetter, pairedValues, pairPasses, subject } from './verdict-measure.js';
import { formatNumber, formatP, statisticalReason } from './verdict-reason.js';

type Fields = Omit<CriterionResult, 'status' | 'reason'>;

interface BootstrapTest {
  readonly kind: 'difference' | 'ratio';
  readonly dist: BootstrapDistribution;
  readonly direction: 'above' | 'below';
  readonly boundary: number;
  readonly pPass: number;
  readonly pFail: number;
  /** Per-case SD of the compared quantity, for the number of further cases. */
  readonly sd: number;
}

export interface PreparedCriterion {
  readonly criterion: CriterionSpec;
  readonly fields: Fields;
  /** Absent when the criterion cannot be tested; `untestable` then says why. */
  readonly test?: BootstrapTest;
  readonly untestable?: string;
}

/**
 * What a statistical criterion needs before its bootstrap: either it is settled without one
 * (`prepared`: it cannot be tested), or the statistic to bootstrap on its `n` cases and how to
 * finish preparing it from the distribution. The verdict bootstraps the criteria of a family
 * that cover the same cases together (verdict.ts), so the bootstrap is not done here.
 */
export type CriterionPlan =
  | { readonly prepared: PreparedCriterion }
  | {
      readonly statistic: PairedStatistic;
      readonly n: number;
      readonly finish: (dist: BootstrapDistribution) => PreparedCriterion;
    };

export function planCriterion(cases: readonly PairedCase[], criterion: CriterionSpec): CriterionPlan {
  const { baseline, candidate } = pairedValues(cases, criterion);
  const n = baseline.length;
  const base = moments(baseline);
  const cand = moments(candidate);
  const fields: Fields = {
    name: criterionName(criterion),
    rule: criterion.rule,
    measure: criterion.measure,
    ...(criterion.scorer === undefined ? {} : { scorer: criterion.scorer }),
    n,
    ...(n === 0 ? {} : { baselineMean: base.mean, candidateMean: cand.mean }),
    ...(criterion.measure === 'pass' ? { mcnemar: discordantPairs(cases, criterion.scorer) } : {}),
  };
  const untestable = (why: string): CriterionPlan => ({ prepared: { criterion, fields, untestable: why } });
  if (n === 0) return untestable(`no case has a value on both arms`);
  // One case gives no spread: every resample would repeat it and "prove" anything.
  if (n === 1) return untestable('only 1 case on both arms; the spread cannot be estimated from one case');

  if (criterion.rule === 'max_ratio') {
    const max = criterion.max;
    if (max === undefined || !(max > 0)) return untestable('max_ratio needs a positive max');
    if (!(base.mean > 0)) {
      return untestable(
        `the baseline's mean ${subject(criterion)} is ${formatNumber(base.mean)}, so no ratio can be formed`,
      );
    }
    return {
      statistic: { kind: 'ratio', baseline, candidate },
      n,
      finish: (dist) => {
        // Delta method for a ratio of paired means (STATS.md §5): Var(r̂) ≈ Var(cᵢ − r·bᵢ)/(n·b̄²),
        // so the per-case SD is sd(cᵢ − r·bᵢ)/b̄.
        const r = dist.estimate;
        const linear = baseline.map((b, i) => candidate[i]! - r * b);
        const sd = moments(linear).sd / base.mean;
        return {
          criterion,
          fields: { ...fields, estimate: r, boundary: max },
          test: ratioTest(dist, max, sd, n),
        };
      },
    };
  }

  const lower = lowerIsBetter(criterion.measure);
  const gap = criterion.rule === 'superior' ? criterion.min_effect : -criterion.margin;
  // `+ 0` turns −0 (margin 0) into 0, so reports and JSON never show "−0".
  const boundary = (lower ? -gap : gap) + 0;
  const direction = lower ? 'below' : 'above';
  const diffs = candidate.map((c, i) => c - baseline[i]!);
  return {
    statistic: { kind: 'mean', values: diffs },
    n,
    finish: (dist) => {
      const test: BootstrapTest = {
        kind: 'difference',
        dist,
        direction,
        boundary,
        pPass: Math.max(
          direction === 'above' ? pValueAtMost(dist, boundary) : pValueAtLeast(dist, boundary),
          signTestFloor(n),
        ),
        pFail: direction === 'above' ? pValueAtLeast(dist, boundary) : pValueAtMost(dist, boundary),
        sd: moments(diffs).sd,
      };
      return { criterion, fields: { ...fields, estimate: dist.estimate, boundary }, test };
    },
  };
}

/**
 * The smallest one-sided p-value any test on n paired cases can honestly give: the exact sign
 * test's 2^−n (every pair on one side). A bootstrap of constant differences has zero width and
 * would "prove" a criterion on two cases; this floor needs about five at α = 0.05.
 */
export function signTestFloor(n: number): number {
  return n <= 0 ? 1 : 0.5 ** n;
}

function ratioTest(dist: BootstrapDistribution, max: number, sd: number, n: number): BootstrapTest {
  return {
    kind: 'ratio',
    dist,
    direction: 'below',
    boundary: max,
    pPass: Math.max(pValueAtLeast(dist, max), signTestFloor(n)),
    pFail: pValueAtMost(dist, max),
    sd,
  };
}

/** b = cases passing on the baseline only, c = on the candidate only; reported, not gating. */
function discordantPairs(cases: readonly PairedCase[], scorer: string | undefined): McNemarResult {
  let b = 0;
  let c = 0;
  for (const pc of cases) {
    const both = pairPasses(pc, scorer);
    if (both === undefined) continue;
    if (both[0] && !both[1]) b++;
    if (!both[0] && both[1]) c++;
  }
  return exactMcNemar(b, c);
}

/** The Holm family's p-value for a criterion: an untestable criterion counts as p = 1. */
export function passPValue(prepared: PreparedCriterion): number {
  return prepared.test?.pPass ?? 1;
}

export interface Settlement {
  /** Holm-adjusted p_pass. */
  readonly pAdjusted: number;
  /** Holm's per-criterion level α/(k − rank + 1). */
  readonly level: number;
  readonly alpha: number;
}

/**
 * pass when the Holm-adjusted p_pass ≤ α; else fail when p_fail ≤ α (unadjusted: failing the
 * gate is the cautious error, so it is not made harder by the number of criteria); else
 * inconclusive with the further cases that would settle it. The interval is two-sided at
 * 1 − 2·level, so its lower (or upper) end is exactly the one-sided bound the decision used:
 * with α = 0.05 and one criterion, a 90 % interval whose lower end clears −m.
 */
export function settleCriterion(prepared: PreparedCriterion, s: Settlement): CriterionResult {
  const { fields, test, criterion } = prepared;
  if (test === undefined) {
    return {
      ...fields,
      status: 'inconclusive',
      reason: `${subject(criterion)}: ${prepared.untestable ?? 'not testable'}; inconclusive`,
    };
  }
  const status = s.pAdjusted <= s.alpha ? 'pass' : test.pFail <= s.alpha ? 'fail' : ('inconclusive' as const);
  const ciLevel = 1 - 2 * s.level;
  const interval = percentileInterval(test.dist, ciLevel);
  const ci = Number.isFinite(interval[0]) && Number.isFinite(interval[1]) ? interval : undefined;
  let more: number | null | undefined;
  if (status === 'inconclusive') {
    const towardsPass =
      test.direction === 'above' ? test.dist.estimate > test.boundary : test.dist.estimate < test.boundary;
    more = moreCases({
      sd: test.sd,
      effect: test.dist.estimate,
      boundary: test.boundary,
      n: fields.n,
      // Reaching a pass must clear this criterion's Holm level; reaching a fail, α itself.
      alpha: towardsPass ? s.level : s.alpha,
    });
    // A pass also needs the sign test's floor 2^−n below its level: at least ⌈log₂(1/level)⌉ cases.
    if (towardsPass && more !== null) more = Math.max(more, Math.ceil(Math.log2(1 / s.level)) - fields.n);
  }
  return {
    ...fields,
    status,
    ...(ci === undefined ? {} : { ci }),
    p: test.pPass,
    pAdjusted: s.pAdjusted,
    ...(status === 'inconclusive' ? { moreCases: more ?? null } : {}),
    reason:
      statisticalReason({
        subject: subject(criterion),
        kind: test.kind,
        estimate: test.dist.estimate,
        ci,
        level: ciLevel,
        direction: test.direction,
        boundary: test.boundary,
        status,
        pAdjusted: s.pAdjusted,
        pFail: test.pFail,
        alpha: s.alpha,
        moreCases: more,
      }) + mcnemarNote(fields.mcnemar),
  };
}

function mcnemarNote(m: McNemarResult | undefined): string {
  if (m === undefined) return '';
  return ` (exact McNemar: ${m.b} pass on the baseline only, ${m.c} on the candidate only, p ${formatP(m.p)})`;
}
