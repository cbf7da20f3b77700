/**
 * Samplers for the seeded rollout simulations of the online statistics (test/unit/stats-guardrail.test.ts).
 * They work per look, not per request, so that thousands of simulated rollouts run in seconds.
 */
import type { Random } from '../../src/core/hash/random.js';
import { lnGamma } from '../../src/core/stats/gamma.js';

/**
 * Binomial(n, p) by sequential inversion of the CDF (BINV in V. Kachitvichyanukul and B. W. Schmeiser,
 * "Binomial Random Variate Generation", Communications of the ACM 31(2), 1988): one uniform, about
 * n·p + 1 steps — 6 to 11 for the 250 units × 2–4 % of a look. For n·p small (q^n must not underflow).
 */
export function binomial(random: Random, n: number, p: number): number {
  if (p <= 0) return 0;
  if (p >= 1) return n;
  const q = 1 - p;
  const s = p / q;
  let f = q ** n;
  let u = random();
  let k = 0;
  while (u > f && k < n) {
    u -= f;
    f *= (s * (n - k)) / (k + 1);
    k += 1;
  }
  return k;
}

/**
 * A discrete distribution drawn in O(1) per draw by Walker's alias method (A. J. Walker, "An
 * Efficient Method for Generating Discrete Random Variables with General Distributions", ACM TOMS
 * 3(3), 1977), built by Vose's stable construction (M. D. Vose, IEEE TSE 17(9), 1991).
 */
export interface AliasTable {
  readonly probability: Float64Array;
  readonly alias: Int32Array;
}

export function aliasTable(weights: readonly number[]): AliasTable {
  const k = weights.length;
  const total = weights.reduce((s, w) => s + w, 0);
  const scaled = weights.map((w) => (w * k) / total);
  const probability = new Float64Array(k);
  const alias = new Int32Array(k);
  const small: number[] = [];
  const large: number[] = [];
  for (let i = 0; i < k; i++) (scaled[i]! < 1 ? small : large).push(i);
  while (small.length > 0 && large.length > 0) {
    const s = small.pop()!;
    const l = large.pop()!;
    probability[s] = scaled[s]!;
    alias[s] = l;
    scaled[l] = scaled[l]! + scaled[s]! - 1;
    (scaled[l]! < 1 ? small : large).push(l);
  }
  for (const i of [...small, ...large]) {
    probability[i] = 1;
    alias[i] = i;
  }
  return { probability, alias };
}

/** One index from the table with one uniform: its integer part picks a column, its fraction the side. */
export function drawAlias(table: AliasTable, random: Random): number {
  const u = random() * table.probability.length;
  const i = Math.floor(u);
  return u - i < table.probability[i]! ? i : table.alias[i]!;
}

export interface UserModel {
  /** Beta(α, β) error propensity per user. */
  readonly alpha: number;
  readonly beta: number;
  /** Requests per user: 1 + Poisson(λ). */
  readonly lambda: number;
}

/** The (errors X, requests Y) of one user, with its probability. */
export interface UserOutcome {
  readonly x: number;
  readonly y: number;
  readonly probability: number;
}

/**
 * The exact joint distribution of one user's (X, Y) under STATS.md §5's model: Y = 1 + Poisson(λ),
 * a propensity π ~ Beta(α, β) per user, X | Y, π ~ Binomial(Y, π) — so X | Y is beta-binomial,
 * P(X = x | Y = y) = C(y, x)·B(x + α, y − x + β)/B(α, β). Drawing (X, Y) from this table is the
 * same model as drawing π from a Beta and Y from a Poisson and then the requests one by one, in
 * one uniform per user. Y is cut past the mode once the Poisson pmf falls below 1e-16 (the table
 * is renormalised).
 */
export function userOutcomes(model: UserModel): UserOutcome[] {
  const { alpha, beta, lambda } = model;
  const lnB = (a: number, b: number) => lnGamma(a) + lnGamma(b) - lnGamma(a + b);
  const lnChoose = (n: number, k: number) => lnGamma(n + 1) - lnGamma(k + 1) - lnGamma(n - k + 1);
  const outcomes: UserOutcome[] = [];
  for (let m = 0; ; m++) {
    const pm = Math.exp(-lambda + m * Math.log(lambda) - lnGamma(m + 1));
    if (m > lambda && pm < 1e-16) break;
    const y = m + 1;
    for (let x = 0; x <= y; x++) {
      const px = Math.exp(lnChoose(y, x) + lnB(x + alpha, y - x + beta) - lnB(alpha, beta));
      outcomes.push({ x, y, probability: pm * px });
    }
  }
  const total = outcomes.reduce((s, o) => s + o.probability, 0);
  return outcomes.map((o) => ({ ...o, probability: o.probability / total }));
}
