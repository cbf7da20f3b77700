import type { ChangeSpec } from '../spec/change-schema.js';

/**
 * The rollout decision (issue #6), pure: `decide(rollout, evidence, rules, now)`. It never reads
 * a clock or a store; the controller gathers the evidence (per-unit sums → sequential tests),
 * calls this, and applies the result in one transaction.
 *
 * Order of the checks, each a branch with its own test (decide.test.ts):
 * 1. not running → nothing to do;
 * 2. a guardrail's one-sided bound proves harm beyond its tolerance → roll back (or pause and
 *    flag when auto_rollback is off) — harm wins over every other consideration;
 * 3. a sample-ratio mismatch → hold and flag: the arms are not comparable;
 * 4. a stage past max_duration short of its minimum units → on_starved: hold, or roll back
 *    (LaunchDarkly reverts a starved step);
 * 5. too few units or too little time → hold ("inconclusive"), never pass or fail;
 * 6. advance_on: proven_safe and a guardrail's other bound not yet within tolerance → hold;
 * 7. last stage complete → promote when auto_promote, else wait for a person;
 * 8. otherwise → advance to the next stage when auto_advance, else wait for a person.
 */

export type DecisionAction = 'none' | 'hold' | 'advance' | 'rollback' | 'pause' | 'promote';

/** What the decision needs to know about the rollout's state. */
export interface RolloutView {
  readonly status: 'pending' | 'running' | 'paused' | 'rolled_back' | 'promoted' | 'aborted';
  readonly stageIndex: number;
  /** Epoch ms at which the current stage began. */
  readonly stageStartedAt: number;
}

/** One guardrail metric's sequential test at this look (see core/stats/guardrail-test.ts). */
export interface MetricEvidence {
  readonly metric: string;
  /** Units per arm that carried this metric (a unit with no rated request carries no feedback metric). */
  readonly nA: number;
  readonly nB: number;
  readonly meanA: number;
  readonly meanB: number;
  /** meanB − meanA. */
  readonly delta: number;
  /** The one-sided bounds at the metric's alpha: harm is proven when `lower` > tolerance (higher is worse). */
  readonly lower: number;
  readonly upper: number;
  /** The tolerance in the metric's units (a ratio tolerance already multiplied by meanA). */
  readonly tolerance: number;
  readonly eValue: number;
  readonly harm: boolean;
  /** The upper bound is within tolerance: no harm beyond it, proven. */
  readonly safe: boolean;
  readonly enoughData: boolean;
  /**
   * False for a metric where a drop is harm (positive feedback, feedback score): harm is then the
   * upper bound below −tolerance, and safety the lower bound above it. Default true.
   */
  readonly higherIsWorse?: boolean;
}

export interface Evidence {
  /** Units seen per arm in this rollout. */
  readonly units: { readonly candidate: number; readonly comparison: number };
  readonly srm: { readonly p: number; readonly mismatch: boolean; readonly enoughData: boolean };
  readonly metrics: readonly MetricEvidence[];
  /** The per-test alpha after the family-wise correction, for the reasons. */
  readonly alpha: number;
  /** The change's success metrics, tested the same way: reported, never a reason to act. */
  readonly success?: readonly SuccessEvidence[];
}

/**
 * A success metric at one look: did the candidate move it the way the change meant to, by at
 * least `minEffect`? One-sided bounds at the success metrics' own (Šidák-corrected) alpha.
 */
export interface SuccessEvidence {
  readonly metric: string;
  readonly direction: 'increase' | 'decrease';
  readonly minEffect: number;
  readonly nA: number;
  readonly nB: number;
  readonly meanA: number;
  readonly meanB: number;
  readonly delta: number;
  readonly lower: number;
  readonly upper: number;
  /**
   * `better`: the bound on the far side of 0 proves a move the meant way; `worse`: the other way;
   * else `inconclusive`, or `not_enough_data` before both arms have data.
   */
  readonly verdict: 'better' | 'worse' | 'inconclusive' | 'not_enough_data';
  /** The improvement is proven to be at least `minEffect`. */
  readonly meetsMinEffect: boolean;
  readonly alpha: number;
}

export type DecisionRules = Pick<
  ChangeSpec['rollout'],
  'stages' | 'auto_advance' | 'auto_rollback' | 'auto_promote' | 'advance_on' | 'on_starved'
>;

export interface Decision {
  readonly action: DecisionAction;
  /** Sentences an operator reads, most important first. */
  readonly reasons: readonly string[];
  /** For advance: the stage to move to and its exposure (percent). */
  readonly stageIndex?: number;
  readonly exposure?: number;
  /** Conditions a person should look at: srm, starved, awaiting_promotion, awaiting_advance, harm_without_auto_rollback, unproven. */
  readonly flags: readonly string[];
}

const RATE = /_rate$/;

/** A metric's value in words: rates in percentage points, latencies in ms, costs in USD. */
export function formatMetricValue(metric: string, value: number, signed = false): string {
  const sign = signed && value > 0 ? '+' : signed && value < 0 ? '−' : '';
  const v = signed ? Math.abs(value) : value;
  if (RATE.test(metric)) return `${sign}${round(v * 100, 2)} pp`;
  if (metric.endsWith('_ms')) return `${sign}${round(v, 1)} ms`;
  if (metric === 'cost_usd') return `${sign}$${round(v, 6)}`;
  return `${sign}${round(v, 3)}`;
}

/** x to at most `digits` decimals, thousands grouped with commas ("20,000", "0.61"). */
function round(x: number, digits: number): string {
  const [whole = '0', fraction] = String(Number(x.toFixed(digits))).split('.');
  return fraction === undefined ? group(whole) : `${group(whole)}.${fraction}`;
}

/** Thousands separators; toLocaleString costs ≈ 20 µs a call, which a tick over 1,000 rollouts feels. */
function group(whole: string): string {
  const sign = whole.startsWith('-') ? '-' : '';
  const digits = sign ? whole.slice(1) : whole;
  if (digits.length <= 3 || !/^\d+$/.test(digits)) return whole;
  let out = '';
  for (let i = digits.length; i > 0; i -= 3) {
    const chunk = digits.slice(Math.max(0, i - 3), i);
    out = out ? `${chunk},${out}` : chunk;
  }
  return sign + out;
}

const units = (n: number): string => group(String(Math.round(n)));

/** "error_rate +0.61 pp, one-sided 95 % bound +0.16 pp > tolerance 0 pp after 20,000 units per arm". */
export function harmReason(m: MetricEvidence, alpha: number): string {
  const level = round((1 - alpha) * 100, 2);
  // The bound that proved harm: the lower one above +tolerance, or (a drop is harm) the upper one
  // below −tolerance.
  const proof =
    m.higherIsWorse === false
      ? `${formatMetricValue(m.metric, m.upper, true)} < tolerance ${formatMetricValue(m.metric, -m.tolerance, true)}`
      : `${formatMetricValue(m.metric, m.lower, true)} > tolerance ${formatMetricValue(m.metric, m.tolerance)}`;
  return (
    `${m.metric} ${formatMetricValue(m.metric, m.delta, true)}, one-sided ${level} % bound ${proof} ` +
    `after ${units(Math.min(m.nA, m.nB))} units per arm`
  );
}

function unprovenReason(m: MetricEvidence, alpha: number): string {
  const level = round((1 - alpha) * 100, 2);
  const delta = formatMetricValue(m.metric, m.delta, true);
  if (m.higherIsWorse === false)
    return (
      `${m.metric} ${delta}: lower ${level} % bound ${formatMetricValue(m.metric, m.lower, true)} ` +
      `not yet above tolerance ${formatMetricValue(m.metric, -m.tolerance, true)}`
    );
  return (
    `${m.metric} ${delta}: upper ${level} % bound ` +
    `${formatMetricValue(m.metric, m.upper, true)} not yet within tolerance ${formatMetricValue(m.metric, m.tolerance)}`
  );
}

function formatDurationMs(ms: number): string {
  if (ms >= 3_600_000) return `${round(ms / 3_600_000, 1)} h`;
  if (ms >= 60_000) return `${round(ms / 60_000, 1)} min`;
  return `${round(ms / 1000, 0)} s`;
}

export function decide(
  rollout: RolloutView,
  evidence: Evidence,
  rules: DecisionRules,
  now: number,
): Decision {
  if (rollout.status !== 'running')
    return { action: 'none', reasons: [`the rollout is ${rollout.status}`], flags: [] };

  const harmed = evidence.metrics.filter((m) => m.harm);
  if (harmed.length > 0) {
    const reasons = harmed.map((m) => harmReason(m, evidence.alpha));
    return rules.auto_rollback
      ? { action: 'rollback', reasons, flags: [] }
      : {
          action: 'pause',
          reasons: [...reasons, 'auto_rollback is off: paused for a person to decide'],
          flags: ['harm_without_auto_rollback'],
        };
  }

  if (evidence.srm.enoughData && evidence.srm.mismatch)
    return {
      action: 'hold',
      reasons: [
        `sample-ratio mismatch: ${units(evidence.units.candidate)} candidate vs ${units(evidence.units.comparison)} comparison units (χ² p = ${evidence.srm.p.toExponential(2)} < 0.001); the arms are not comparable until the cause is found`,
      ],
      flags: ['srm'],
    };

  const stage = rules.stages[rollout.stageIndex];
  if (!stage)
    return {
      action: 'hold',
      reasons: [`stage ${rollout.stageIndex + 1} does not exist in the spec`],
      flags: ['invalid_stage'],
    };
  const elapsed = now - rollout.stageStartedAt;
  // At 100 % every unit is the candidate's: the comparison arm keeps the units of the earlier
  // stages and cannot grow, so the stage counts the candidate's units (the guardrails still
  // compare against those comparison units).
  const everyone = stage.percent >= 100;
  const perArm = everyone
    ? evidence.units.candidate
    : Math.min(evidence.units.candidate, evidence.units.comparison);
  const perWhat = everyone ? 'candidate units' : 'units per arm';
  const stageName = `stage ${rollout.stageIndex + 1}/${rules.stages.length} (${stage.percent} %)`;

  if (perArm < stage.min_units && elapsed >= stage.max_duration) {
    const why = `${stageName} reached max_duration ${formatDurationMs(stage.max_duration)} with ${units(perArm)} of ${units(stage.min_units)} ${perWhat}`;
    return rules.on_starved === 'rollback'
      ? {
          action: 'rollback',
          reasons: [`${why}: starved, rolled back (on_starved: rollback)`],
          flags: ['starved'],
        }
      : { action: 'hold', reasons: [`${why}: starved, holding (on_starved: hold)`], flags: ['starved'] };
  }

  if (perArm < stage.min_units || elapsed < stage.min_duration) {
    const needs: string[] = [];
    if (perArm < stage.min_units) needs.push(`${units(stage.min_units - perArm)} more ${perWhat}`);
    if (elapsed < stage.min_duration) needs.push(`${formatDurationMs(stage.min_duration - elapsed)} more`);
    return {
      action: 'hold',
      reasons: [`inconclusive: ${stageName} needs ${needs.join(' and ')}; no harm proven so far`],
      flags: [],
    };
  }

  if (rules.advance_on === 'proven_safe') {
    const unproven = evidence.metrics.filter((m) => !m.safe);
    if (unproven.length > 0)
      return {
        action: 'hold',
        reasons: [
          `advance_on: proven_safe — ${unproven.map((m) => (m.enoughData ? unprovenReason(m, evidence.alpha) : `${m.metric}: no data yet`)).join('; ')}`,
        ],
        flags: ['unproven'],
      };
  }

  const done = `${stageName} complete: ${units(perArm)} ${perWhat} over ${formatDurationMs(elapsed)}, no harm proven`;
  const last = rollout.stageIndex >= rules.stages.length - 1;
  if (last)
    return rules.auto_promote
      ? {
          action: 'promote',
          reasons: [`${done}; the candidate becomes the route's stable variant`],
          flags: [],
        }
      : {
          action: 'hold',
          reasons: [`${done}; waiting for a person to promote (auto_promote is off)`],
          flags: ['awaiting_promotion'],
        };

  const next = rules.stages[rollout.stageIndex + 1]!;
  return rules.auto_advance
    ? {
        action: 'advance',
        reasons: [`${done}; widening to ${next.percent} %`],
        stageIndex: rollout.stageIndex + 1,
        exposure: next.percent,
        flags: [],
      }
    : {
        action: 'hold',
        reasons: [`${done}; waiting for a person to advance (auto_advance is off)`],
        flags: ['awaiting_advance'],
      };
}
