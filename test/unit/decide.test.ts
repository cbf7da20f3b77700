import { describe, expect, it } from 'vitest';
import {
  type Decision,
  type DecisionRules,
  decide,
  type Evidence,
  formatMetricValue,
  type MetricEvidence,
  type RolloutView,
} from '../../src/core/decision/decide.js';

const MIN = 60_000;
const rules: DecisionRules = {
  stages: [
    { percent: 5, min_units: 250, min_duration: 10 * MIN, max_duration: 24 * 60 * MIN },
    { percent: 25, min_units: 500, min_duration: 30 * MIN, max_duration: 24 * 60 * MIN },
    { percent: 50, min_units: 1000, min_duration: 60 * MIN, max_duration: 24 * 60 * MIN },
  ],
  auto_advance: true,
  auto_rollback: true,
  auto_promote: false,
  advance_on: 'no_harm',
  on_starved: 'hold',
};
const running = (stageIndex = 0): RolloutView => ({ status: 'running', stageIndex, stageStartedAt: 0 });
const metric = (over: Partial<MetricEvidence> = {}): MetricEvidence => ({
  metric: 'error_rate',
  nA: 20_000,
  nB: 20_000,
  meanA: 0.02,
  meanB: 0.026,
  delta: 0.0061,
  lower: -0.001,
  upper: 0.013,
  tolerance: 0,
  eValue: 1.2,
  harm: false,
  safe: false,
  enoughData: true,
  ...over,
});
const evidence = (over: Partial<Evidence> = {}): Evidence => ({
  units: { candidate: 300, comparison: 300 },
  srm: { p: 0.5, mismatch: false, enoughData: true },
  metrics: [metric()],
  alpha: 0.05,
  ...over,
});
const at = (minutes: number) => minutes * MIN;

// One test per branch, in the style of Argo Rollouts' analysis assessment tests.
describe('decide(rollout, evidence, rules, now)', () => {
  it('does nothing for a rollout that is not running', () => {
    expect(decide({ ...running(), status: 'paused' }, evidence(), rules, at(60)).action).toBe('none');
  });

  it('rolls back when a guardrail proves harm, with the reason in words', () => {
    const d = decide(
      running(),
      evidence({ metrics: [metric({ harm: true, lower: 0.0016, delta: 0.0061 })] }),
      rules,
      at(60),
    );
    expect(d.action).toBe('rollback');
    expect(d.reasons[0]).toBe(
      'error_rate +0.61 pp, one-sided 95 % bound +0.16 pp > tolerance 0 pp after 20,000 units per arm',
    );
  });

  it('states the bound that was tested for a metric where a drop is harm', () => {
    const drop = metric({
      metric: 'positive_feedback_rate',
      meanA: 0.8,
      meanB: 0.5,
      delta: -0.3,
      lower: -0.3399,
      upper: -0.2601,
      tolerance: 0.02,
      higherIsWorse: false,
    });
    const rolled = decide(running(), evidence({ metrics: [{ ...drop, harm: true }] }), rules, at(60));
    expect(rolled.reasons[0]).toBe(
      'positive_feedback_rate −30 pp, one-sided 95 % bound −26.01 pp < tolerance −2 pp after 20,000 units per arm',
    );
    const strict = { ...rules, advance_on: 'proven_safe' as const };
    const held = decide(
      running(),
      evidence({ metrics: [{ ...drop, delta: 0.01, lower: -0.05, upper: 0.07 }] }),
      strict,
      at(60),
    );
    expect(held.reasons.join(' ')).toContain(
      'positive_feedback_rate +1 pp: lower 95 % bound −5 pp not yet above tolerance −2 pp',
    );
  });

  it('pauses and flags harm when auto_rollback is off', () => {
    const d = decide(
      running(),
      evidence({ metrics: [metric({ harm: true })] }),
      { ...rules, auto_rollback: false },
      at(60),
    );
    expect(d).toMatchObject({ action: 'pause', flags: ['harm_without_auto_rollback'] });
  });

  it('lets harm win over a sample-ratio mismatch', () => {
    const d = decide(
      running(),
      evidence({ metrics: [metric({ harm: true })], srm: { p: 1e-6, mismatch: true, enoughData: true } }),
      rules,
      at(60),
    );
    expect(d.action).toBe('rollback');
  });

  it('holds and flags a sample-ratio mismatch', () => {
    const d = decide(
      running(),
      evidence({ srm: { p: 6.33e-5, mismatch: true, enoughData: true } }),
      rules,
      at(60),
    );
    expect(d).toMatchObject({ action: 'hold', flags: ['srm'] });
    expect(d.reasons[0]).toContain('sample-ratio mismatch');
  });

  it('holds as inconclusive with too few units, saying how many more', () => {
    const d = decide(running(), evidence({ units: { candidate: 100, comparison: 120 } }), rules, at(60));
    expect(d.action).toBe('hold');
    expect(d.reasons[0]).toContain('inconclusive');
    expect(d.reasons[0]).toContain('150 more units per arm');
  });

  it('holds before the stage’s minimum duration', () => {
    const d = decide(running(), evidence(), rules, at(4));
    expect(d.action).toBe('hold');
    expect(d.reasons[0]).toContain('6 min more');
  });

  it('holds a starved stage past max_duration, or rolls it back when on_starved says so', () => {
    const starved = evidence({ units: { candidate: 40, comparison: 45 } });
    expect(decide(running(), starved, rules, at(24 * 60))).toMatchObject({
      action: 'hold',
      flags: ['starved'],
    });
    expect(decide(running(), starved, { ...rules, on_starved: 'rollback' }, at(24 * 60))).toMatchObject({
      action: 'rollback',
      flags: ['starved'],
    });
  });

  it('advances to the next stage when the stage is complete and nothing is proven harmful', () => {
    const d: Decision = decide(running(), evidence(), rules, at(11));
    expect(d).toMatchObject({ action: 'advance', stageIndex: 1, exposure: 25 });
  });

  it('waits for a person when auto_advance is off', () => {
    expect(decide(running(), evidence(), { ...rules, auto_advance: false }, at(11))).toMatchObject({
      action: 'hold',
      flags: ['awaiting_advance'],
    });
  });

  it('with advance_on: proven_safe, holds until every upper bound is within tolerance', () => {
    const strict = { ...rules, advance_on: 'proven_safe' as const };
    expect(decide(running(), evidence(), strict, at(11))).toMatchObject({
      action: 'hold',
      flags: ['unproven'],
    });
    expect(decide(running(), evidence({ metrics: [metric({ safe: true })] }), strict, at(11)).action).toBe(
      'advance',
    );
  });

  it("a 100 % stage counts the candidate's units: the comparison arm cannot grow there", () => {
    const everyone = {
      ...rules,
      stages: [...rules.stages.slice(0, -1), { ...rules.stages.at(-1)!, percent: 100, min_units: 1_000 }],
    };
    const last = running(everyone.stages.length - 1);
    // 972 comparison units from the earlier stages, for good.
    const few = evidence({ units: { candidate: 900, comparison: 972 } });
    expect(decide(last, few, everyone, at(120)).reasons[0]).toContain('needs 100 more candidate units');
    const enough = evidence({ units: { candidate: 4_974, comparison: 972 } });
    expect(decide(last, enough, { ...everyone, auto_promote: true }, at(120))).toMatchObject({
      action: 'promote',
    });
  });

  it('on the last stage promotes when auto_promote is on, else waits for a person', () => {
    const last = running(2);
    const enough = evidence({ units: { candidate: 1200, comparison: 1210 } });
    expect(decide(last, enough, rules, at(61))).toMatchObject({
      action: 'hold',
      flags: ['awaiting_promotion'],
    });
    expect(decide(last, enough, { ...rules, auto_promote: true }, at(61)).action).toBe('promote');
  });

  it('formats metric values in an operator’s units', () => {
    expect(formatMetricValue('error_rate', 0.0061, true)).toBe('+0.61 pp');
    expect(formatMetricValue('latency_ms', -12.34, true)).toBe('−12.3 ms');
    expect(formatMetricValue('cost_usd', 0.0002)).toBe('$0.0002');
  });
});
