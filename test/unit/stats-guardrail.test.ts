import { describe, expect, it } from 'vitest';
import { Z_95 } from '../../src/core/hash/distributions.js';
import { type Random, seededRandom } from '../../src/core/hash/random.js';
import { oneSidedLowerBound, sequentialP } from '../../src/core/stats/confidence-sequence.js';
import { type GuardrailInput, guardrailEvidence } from '../../src/core/stats/guardrail-test.js';
import { EMPTY_SUMS, sumsOf, type UnitSums } from '../../src/core/stats/running-moments.js';
import { aliasTable, binomial, drawAlias, userOutcomes } from '../support/stats-simulation.js';

function near(actual: number, expected: number, tolerance = 1e-4): void {
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance);
}

/** An arm of `n` one-request units, `errors` of which failed: X ∈ {0, 1}, Y = 1. */
function binaryArm(errors: number, n: number): UnitSums {
  return { n, sumX: errors, sumY: n, sumX2: errors, sumY2: n, sumXY: errors };
}

const errorRate = (a: UnitSums, b: UnitSums, value = 0): GuardrailInput => ({
  a,
  b,
  tolerance: { kind: 'absolute', value },
  higherIsWorse: true,
  alpha: 0.05,
  nStar: 5000,
});

describe('guardrailEvidence', () => {
  it('STATS.md §1: A 100/5000, B 130/5000 holds; 4× the data rolls back', () => {
    const early = guardrailEvidence(errorRate(binaryArm(100, 5000), binaryArm(130, 5000)));
    expect(early).toMatchObject({ nA: 5000, nB: 5000, enoughData: true, harm: false, safe: false });
    near(early.delta, 0.006, 1e-12);
    // Unit sums use the N − 1 variance, the §1 vector p̂(1 − p̂): the same to 1e-4 of the bound.
    near(early.se, 0.0029975, 1e-6);
    near(early.lower, -0.0023969);
    near(early.csLow, -0.0031767);
    near(early.csHigh, 0.0151767);
    near(early.eValue, 1.6029, 1e-3);
    near(early.p, 0.6239, 1e-3);
    const later = guardrailEvidence(errorRate(binaryArm(400, 20000), binaryArm(520, 20000)));
    expect(later.harm).toBe(true);
    near(later.lower, 0.0015676);
    near(later.p, 0.00301);
  });

  it('STATS.md §5: unit-level ratio Δ̂ 0.142857, SE 0.139724, and the bounds of §1 with n = 12, s² = V·n', () => {
    const a = sumsOf([
      [0, 3],
      [1, 5],
      [0, 2],
      [2, 4],
      [0, 1],
      [1, 6],
    ]);
    const b = sumsOf([
      [1, 2],
      [0, 4],
      [3, 5],
      [1, 1],
      [0, 3],
      [2, 6],
    ]);
    const e = guardrailEvidence(errorRate(a, b));
    near(e.meanA, 0.190476, 1e-6);
    near(e.meanB, 0.333333, 1e-6);
    near(e.delta, 0.142857, 1e-6);
    near(e.se, 0.139724, 1e-6);
    near(e.lower, oneSidedLowerBound(e.delta, e.se, 12, 0.05, 5000), 1e-12);
    near(e.p, sequentialP(e.delta, e.se, 12, 0.05, 5000), 1e-12);
    expect(e.harm).toBe(false);
    expect(e.safe).toBe(false);
  });

  it('a regression inside the tolerance is safe, not harm; beyond it, harm', () => {
    // 2.0 % → 2.2 % on 200,000 units per arm: Δ̂ 0.002.
    const a = binaryArm(4000, 200_000);
    const b = binaryArm(4400, 200_000);
    const within = guardrailEvidence(errorRate(a, b, 0.005));
    expect(within).toMatchObject({ harm: false, safe: true, margin: 0.005 });
    expect(within.upper).toBeLessThan(0.005);
    const strict = guardrailEvidence(errorRate(a, b, 0));
    expect(strict).toMatchObject({ harm: true, safe: false });
  });

  it('a ratio tolerance is a fraction of the baseline mean', () => {
    const a = binaryArm(4000, 200_000); // 2 %
    const b = binaryArm(4400, 200_000); // 2.2 %: +10 % relative
    const input = (value: number): GuardrailInput => ({
      ...errorRate(a, b),
      tolerance: { kind: 'ratio', value },
    });
    const wide = guardrailEvidence(input(0.25)); // margin 0.005
    near(wide.margin, 0.005, 1e-15);
    expect(wide).toMatchObject({ harm: false, safe: true });
    const tight = guardrailEvidence(input(0.02)); // margin 0.0004 < Δ̂ − h₁
    expect(tight).toMatchObject({ harm: true, safe: false });
  });

  it('lower is worse: harm when the upper bound is below −margin', () => {
    // A success rate that drops from 90 % to 88 %.
    const a = binaryArm(18_000, 20_000);
    const b = binaryArm(17_600, 20_000);
    const e = guardrailEvidence({ ...errorRate(a, b, 0.005), higherIsWorse: false });
    expect(e.upper).toBeLessThan(-0.005);
    expect(e).toMatchObject({ harm: true, safe: false });
    const better = guardrailEvidence({ ...errorRate(b, a, 0.005), higherIsWorse: false });
    expect(better).toMatchObject({ harm: false, safe: true });
  });

  it.each([
    ['no data', EMPTY_SUMS, EMPTY_SUMS],
    ['one unit per arm', binaryArm(1, 1), binaryArm(1, 1)],
    ['one arm empty', binaryArm(3, 100), EMPTY_SUMS],
    ['zero variance (no error anywhere yet)', binaryArm(0, 500), binaryArm(0, 500)],
    [
      'no denominator',
      sumsOf([
        [0, 0],
        [0, 0],
      ]),
      sumsOf([
        [0, 0],
        [0, 0],
      ]),
    ],
  ])('%s: not enough data, neither harm nor safe', (_, a, b) => {
    const e = guardrailEvidence(errorRate(a, b));
    expect(e).toMatchObject({ enoughData: false, harm: false, safe: false, p: 1, eValue: 1 });
    expect(e.lower).toBe(Number.NEGATIVE_INFINITY);
    expect(e.upper).toBe(Number.POSITIVE_INFINITY);
  });

  it('a rate where every unit agrees (baseline never fails, candidate always does) is harm, not "no data"', () => {
    const clean = sumsOf(Array.from({ length: 2000 }, () => [0, 3] as const));
    const broken = sumsOf(Array.from({ length: 2000 }, () => [3, 3] as const));
    // The unit-level variance is exactly 0 in both arms.
    expect(guardrailEvidence(errorRate(clean, broken))).toMatchObject({ enoughData: false, harm: false });
    const e = guardrailEvidence({ ...errorRate(clean, broken), rate: true });
    expect(e).toMatchObject({ enoughData: true, harm: true, safe: false, delta: 1 });
    expect(e.lower).toBeGreaterThan(0.9);
    // Both arms clean: no difference, and with a margin of half a point it is proven safe.
    const aa = guardrailEvidence({ ...errorRate(clean, clean, 0.005), rate: true });
    expect(aa).toMatchObject({ enoughData: true, harm: false, safe: true, delta: 0 });
    // Where the data has a variance, the floor changes nothing (STATS.md §1's vector).
    const early = { ...errorRate(binaryArm(100, 5000), binaryArm(130, 5000)) };
    expect(guardrailEvidence({ ...early, rate: true })).toEqual(guardrailEvidence(early));
  });

  it('rejects a negative tolerance and levels outside (0, 1)', () => {
    const a = binaryArm(10, 100);
    expect(() => guardrailEvidence(errorRate(a, a, -0.1))).toThrow(RangeError);
    expect(() => guardrailEvidence({ ...errorRate(a, a), alpha: 0 })).toThrow(RangeError);
    expect(() => guardrailEvidence({ ...errorRate(EMPTY_SUMS, EMPTY_SUMS), nStar: 0 })).toThrow(RangeError);
  });
});

/*
 * Seeded rollout simulations (STATS.md §1 and §5). 2 % baseline error rate, a look after every
 * 250 units per arm, at most 80 looks (20,000 units per arm), one-sided bound at α = 0.05,
 * tolerance 0: roll back at the first look where Δ̂ − h₁(n) > 0.
 *
 * n* = 5000 (GrowthBook's default; n = nA + nB). In a sweep over n* ∈ {1000, 2500, 5000, 7500,
 * 10000, 20000} (other seeds; 2,000 A/A runs, 1,000 runs per regression) it gave the fastest
 * 2 % → 3 % detection (median 3,250 units per arm against 3,500–3,750) with the 2 % → 4 % median at
 * 1,250 (1,000 at n* = 1000, 1,750 at 20000) and harmless rollbacks of 1.8–2.4 % for every n*: the
 * bound is tightest near n = n*, and the regressions worth catching fast are detected at
 * n ≈ 2,500–7,000 in total.
 *
 * Speed: each look draws the arm's error count as one Binomial(250, p) (inversion), or, with
 * users, each user's (errors, requests) from the exact joint distribution by an alias table —
 * one uniform per user instead of a Beta, a Poisson and a Bernoulli per request.
 */
const LOOKS = 80;
const PER_LOOK = 250;
const ALPHA = 0.05;
const N_STAR = 5000;

interface SimulationResult {
  readonly runs: number;
  /** Runs rolled back within the looks. */
  readonly rolledBack: number;
  /** Units per arm at the rollback look, per rolled-back run. */
  readonly unitsAtRollback: number[];
  /** Runs that a naive one-sided z-test at every look (z > 1.6449) would have rolled back. */
  readonly naiveRolledBack: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function evidenceOf(a: UnitSums, b: UnitSums) {
  return guardrailEvidence({
    a,
    b,
    tolerance: { kind: 'absolute', value: 0 },
    higherIsWorse: true,
    alpha: ALPHA,
    nStar: N_STAR,
  });
}

/** One request per unit, error probabilities pA and pB. */
function simulateRequests(seed: string, runs: number, pA: number, pB: number): SimulationResult {
  const unitsAtRollback: number[] = [];
  let naiveRolledBack = 0;
  for (let run = 0; run < runs; run++) {
    const random = seededRandom('stats-guardrail', seed, run);
    let errorsA = 0;
    let errorsB = 0;
    let naive = false;
    for (let look = 1; look <= LOOKS; look++) {
      errorsA += binomial(random, PER_LOOK, pA);
      errorsB += binomial(random, PER_LOOK, pB);
      const n = look * PER_LOOK;
      const e = evidenceOf(binaryArm(errorsA, n), binaryArm(errorsB, n));
      if (!naive && e.enoughData && e.delta / e.se > Z_95) naive = true;
      if (e.harm) {
        unitsAtRollback.push(n);
        break;
      }
    }
    if (naive) naiveRolledBack += 1;
  }
  return { runs, rolledBack: unitsAtRollback.length, unitsAtRollback, naiveRolledBack };
}

/** Users with a Beta(0.2, 9.8) error propensity (mean 2 %) and 1 + Poisson(6) requests each. */
const USERS = userOutcomes({ alpha: 0.2, beta: 9.8, lambda: 6 });
const USER_TABLE = aliasTable(USERS.map((u) => u.probability));
const USER_X = Float64Array.from(USERS, (u) => u.x);
const USER_Y = Float64Array.from(USERS, (u) => u.y);

/** Adds `count` users to `sums` (a mutable accumulator). */
function addUsers(random: Random, count: number, sums: { -readonly [K in keyof UnitSums]: number }): void {
  for (let i = 0; i < count; i++) {
    const j = drawAlias(USER_TABLE, random);
    const x = USER_X[j]!;
    const y = USER_Y[j]!;
    sums.n += 1;
    sums.sumX += x;
    sums.sumY += y;
    sums.sumX2 += x * x;
    sums.sumY2 += y * y;
    sums.sumXY += x * y;
  }
}

/** Requests as if independent: n = requests, X = errors (0/1 per request). */
function perRequest(sums: UnitSums): UnitSums {
  return binaryArm(sums.sumX, sums.sumY);
}

/** A/A with users: the same rollback rule on unit-level ratio sums, and on per-request counts. */
function simulateUsers(seed: string, runs: number): { unit: number; request: number } {
  let unit = 0;
  let request = 0;
  for (let run = 0; run < runs; run++) {
    const random = seededRandom('stats-guardrail-users', seed, run);
    const a = { ...EMPTY_SUMS };
    const b = { ...EMPTY_SUMS };
    let unitHarm = false;
    let requestHarm = false;
    for (let look = 1; look <= LOOKS && !(unitHarm && requestHarm); look++) {
      addUsers(random, PER_LOOK, a);
      addUsers(random, PER_LOOK, b);
      if (!unitHarm) unitHarm = evidenceOf(a, b).harm;
      if (!requestHarm) requestHarm = evidenceOf(perRequest(a), perRequest(b)).harm;
    }
    if (unitHarm) unit += 1;
    if (requestHarm) request += 1;
  }
  return { unit: unit / runs, request: request / runs };
}

describe('seeded rollout simulation (α = 0.05, n* = 5000, 80 looks of 250 units per arm)', () => {
  // Measured (Node 20): 49/2000 = 2.45 % rolled back; a naive z-test at every look: 620/2000 = 31 %.
  it('(a) 2,000 harmless candidates (2 % vs 2 %): 2.45 % rolled back (≤ 5 %); naive z-test 31 %', () => {
    const result = simulateRequests('a', 2000, 0.02, 0.02);
    console.info(
      `(a) rolled back ${result.rolledBack}/${result.runs}, naive ${result.naiveRolledBack}/${result.runs}`,
    );
    expect(result.rolledBack / result.runs).toBeLessThanOrEqual(0.05);
    expect(result.naiveRolledBack / result.runs).toBeGreaterThan(0.2);
  });

  it('the user model has the intended moments (E[Y] = 7, E[X] = 0.14, E[X²] = 0.244727)', () => {
    const moment = (f: (x: number, y: number) => number) =>
      USERS.reduce((s, u) => s + u.probability * f(u.x, u.y), 0);
    near(
      moment((_, y) => y),
      7,
      1e-12,
    );
    near(
      moment((x) => x),
      0.14,
      1e-12,
    );
    // E[X²] = E[Y]·(E π − E π²) + E[Y²]·E π², E π² = αβ/((α+β)²(α+β+1)) + (E π)², E[Y²] = 6 + 49.
    const ePi2 = (0.2 * 9.8) / (100 * 11) + 0.0004;
    near(
      moment((x) => x * x),
      7 * (0.02 - ePi2) + 55 * ePi2,
      1e-12,
    );
  });

  // Measured: unit-level 41/2000 = 2.05 %; the same data analysed per request: 168/2000 = 8.4 %.
  it('(b) 2,000 harmless candidates with correlated users: unit-level 2.05 % (≤ 5 %); per-request 8.4 %', () => {
    const result = simulateUsers('b', 2000);
    console.info(`(b) unit-level ${result.unit}, per-request ${result.request}`);
    expect(result.unit).toBeLessThanOrEqual(0.05);
    expect(result.request).toBeGreaterThan(result.unit);
  });

  // Measured: 2000/2000 rolled back, median 1,250 units per arm.
  it('(c) 2 % → 4 %: median 1,250 units per arm at rollback (≤ 1,375), 100 % rolled back', () => {
    const result = simulateRequests('c', 2000, 0.02, 0.04);
    const m = median(result.unitsAtRollback);
    console.info(`(c) rolled back ${result.rolledBack}/${result.runs}, median ${m}`);
    expect(m).toBeLessThanOrEqual(1375);
    expect(result.rolledBack / result.runs).toBeGreaterThan(0.99);
  });

  // Measured: 2000/2000 rolled back, median 3,250 units per arm.
  it('(d) 2 % → 3 %: median 3,250 units per arm at rollback (≤ 3,850), 100 % rolled back', () => {
    const result = simulateRequests('d', 2000, 0.02, 0.03);
    const m = median(result.unitsAtRollback);
    console.info(`(d) rolled back ${result.rolledBack}/${result.runs}, median ${m}`);
    expect(m).toBeLessThanOrEqual(3850);
    expect(result.rolledBack / result.runs).toBeGreaterThan(0.95);
  });
});
