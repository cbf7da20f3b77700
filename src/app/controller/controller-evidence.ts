import type { Evidence, MetricEvidence, SuccessEvidence } from '../../core/decision/decide.js';
import type { ChangeSpec } from '../../core/spec/change-schema.js';
import { sidakAlpha } from '../../core/stats/family.js';
import { type GuardrailEvidence, guardrailEvidence } from '../../core/stats/guardrail-test.js';
import { srmCheck } from '../../core/stats/srm.js';
import type { JsonValue } from '../ports/json-value.js';
import { type ArmSums, UNIT_METRIC_NAMES, type UnitMetric } from '../ports/unit-totals-store.js';

/** Metrics whose X is a count or a rating in [0, 1] per request: rates (guardrailEvidence's `rate`). */
const RATES: ReadonlySet<string> = new Set([
  'error_rate',
  'slow_rate',
  'guardrail_violation_rate',
  'fallback_rate',
  'negative_feedback_rate',
  'positive_feedback_rate',
  'feedback_score',
]);

/** Metrics where a lower value is worse (a drop is harm); every other guardrail metric: higher is worse. */
const HIGHER_IS_BETTER: ReadonlySet<string> = new Set(['positive_feedback_rate', 'feedback_score']);

type Metrics = {
  guardrails: ChangeSpec['metrics']['guardrails'];
  success: ChangeSpec['metrics']['success'];
  metrics: UnitMetric[];
};
const metricsCache = new WeakMap<ChangeSpec, Metrics>();

/**
 * A change's guardrails and success metrics the store keeps per unit, and the metrics to fetch
 * (error_rate always: it counts units).
 */
export function metricsOf(spec: ChangeSpec): Metrics {
  const known = metricsCache.get(spec);
  if (known) return known;
  const guardrails = spec.metrics.guardrails.filter((g) =>
    (UNIT_METRIC_NAMES as readonly string[]).includes(g.metric),
  );
  const success = spec.metrics.success.filter((s) =>
    (UNIT_METRIC_NAMES as readonly string[]).includes(s.metric),
  );
  const metrics = [
    ...new Set<UnitMetric>([
      'error_rate',
      ...guardrails.map((g) => g.metric as UnitMetric),
      ...success.map((s) => s.metric as UnitMetric),
    ]),
  ];
  const out = { guardrails, success, metrics };
  metricsCache.set(spec, out);
  return out;
}

/** The arms' sizes, means, Δ̂ and one-sided bounds of a test, as evidence reports them. */
const estimates = (e: GuardrailEvidence) => ({
  nA: e.nA,
  nB: e.nB,
  meanA: e.meanA,
  meanB: e.meanB,
  delta: e.delta,
  lower: e.lower,
  upper: e.upper,
});

const SRM_NOT_RUN = { p: 1, mismatch: false, enoughData: false } as const;

/**
 * The evidence of one look, from the per-arm sums: each guardrail's sequential test at the
 * Šidák-corrected alpha, the units per arm, and the sample-ratio check against the layout.
 */
export function buildEvidence(
  spec: ChangeSpec,
  sums: Readonly<Record<UnitMetric, ArmSums>>,
  exposure: number,
  nStar: number,
): Evidence {
  const { guardrails, success } = metricsOf(spec);
  // Šidák across the guardrails: the chance that any harmless guardrail triggers stays ≤ alpha.
  const alpha = sidakAlpha(spec.rollout.alpha, Math.max(1, guardrails.length));
  const evidence = guardrails.map((g): MetricEvidence => {
    const arm = sums[g.metric as UnitMetric];
    const e = guardrailEvidence({
      a: arm.comparison,
      b: arm.candidate,
      tolerance: g.tolerance,
      higherIsWorse: !HIGHER_IS_BETTER.has(g.metric),
      rate: RATES.has(g.metric),
      alpha,
      nStar,
    });
    return {
      metric: g.metric,
      ...estimates(e),
      tolerance: e.margin,
      eValue: e.eValue,
      harm: e.harm,
      safe: e.safe,
      enoughData: e.enoughData,
      higherIsWorse: !HIGHER_IS_BETTER.has(g.metric),
    };
  });
  const units = { candidate: sums.error_rate.candidate.n, comparison: sums.error_rate.comparison.n };
  // Up to 50 % both arms are bucket ranges of the same size, and stay so from stage to stage: the
  // units seen so far are 1 : 1. Above it the comparison arm is everyone else and its units move
  // to the candidate as it widens, so the counts gathered over the stages (a unit of both arms is
  // in both) have no fixed ratio to test: the check is not run there (docs/rollouts.md).
  const srm = exposure <= 50 ? srmCheck([units.candidate, units.comparison], [1, 1]) : SRM_NOT_RUN;
  return {
    units,
    srm: { p: srm.p, mismatch: srm.mismatch, enoughData: srm.enoughData },
    metrics: evidence,
    alpha,
    success: successEvidence(spec, success, sums, nStar),
  };
}

/**
 * Each success metric's sequential test (the guardrails' one, against 0): Šidák-corrected across
 * the success metrics, at the spec's alpha. Reported with the evidence, not acted on: whether a
 * change met its hypothesis is for the people who promote it.
 */
function successEvidence(
  spec: ChangeSpec,
  success: ChangeSpec['metrics']['success'],
  sums: Readonly<Record<UnitMetric, ArmSums>>,
  nStar: number,
): SuccessEvidence[] {
  if (success.length === 0) return [];
  const alpha = sidakAlpha(spec.rollout.alpha, success.length);
  return success.map((s): SuccessEvidence => {
    const arm = sums[s.metric as UnitMetric];
    const decrease = s.direction === 'decrease';
    // Seen as a guardrail with tolerance 0 against the meant direction: "harm" is a proven move the
    // other way, "safe" a proven move the meant way.
    const e = guardrailEvidence({
      a: arm.comparison,
      b: arm.candidate,
      tolerance: { kind: 'absolute', value: 0 },
      higherIsWorse: decrease,
      rate: RATES.has(s.metric),
      alpha,
      nStar,
    });
    const verdict = !e.enoughData ? 'not_enough_data' : e.safe ? 'better' : e.harm ? 'worse' : 'inconclusive';
    return {
      metric: s.metric,
      direction: s.direction,
      minEffect: s.min_effect,
      ...estimates(e),
      verdict,
      meetsMinEffect: e.enoughData && (decrease ? e.upper < -s.min_effect : e.lower > s.min_effect),
      alpha,
    };
  });
}

/** The evidence as stored with a decision (non-finite bounds as null). */
export const evidenceJson = (e: Evidence): JsonValue => ({
  alpha: e.alpha,
  units: { ...e.units },
  srm: { ...e.srm, p: finite(e.srm.p) },
  metrics: e.metrics.map((m) => ({
    metric: m.metric,
    n_comparison: m.nA,
    n_candidate: m.nB,
    mean_comparison: finite(m.meanA),
    mean_candidate: finite(m.meanB),
    delta: finite(m.delta),
    lower: finite(m.lower),
    upper: finite(m.upper),
    tolerance: finite(m.tolerance),
    e_value: finite(m.eValue),
    harm: m.harm,
    safe: m.safe,
    enough_data: m.enoughData,
  })),
  success: (e.success ?? []).map((s) => ({
    metric: s.metric,
    direction: s.direction,
    min_effect: s.minEffect,
    n_comparison: s.nA,
    n_candidate: s.nB,
    mean_comparison: finite(s.meanA),
    mean_candidate: finite(s.meanB),
    delta: finite(s.delta),
    lower: finite(s.lower),
    upper: finite(s.upper),
    verdict: s.verdict,
    meets_min_effect: s.meetsMinEffect,
    alpha: s.alpha,
  })),
});

/** What makes two holds "the same": their flags and the kind of reason (text before the first colon). */
export function holdSignature(flags: readonly string[], reasons: readonly string[]): string {
  return `${flags.join(',')}|${reasons[0]?.split(':')[0] ?? ''}`;
}

export function flagsOf(evidence: JsonValue): string[] {
  const flags = (evidence as { flags?: unknown } | null)?.flags;
  return Array.isArray(flags) ? flags.filter((f): f is string => typeof f === 'string') : [];
}

export function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
