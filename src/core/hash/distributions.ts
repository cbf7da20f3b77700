import type { Random } from './random.js';

/** z such that Φ(z) = 0.95, the standard normal's 95th percentile. */
export const Z_95 = 1.6448536269514722;

/** Uniform in [min, max). */
export function uniform(random: Random, min = 0, max = 1): number {
  return min + (max - min) * random();
}

/** An integer uniform in [min, max] (both included). */
export function integer(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** True with probability p (p outside [0, 1] is clamped; NaN counts as 0). */
export function bernoulli(random: Random, p: number): boolean {
  return random() < clamp01(p);
}

/** One element, uniformly. Undefined only for an empty list. */
export function pick<T>(random: Random, items: readonly T[]): T | undefined {
  if (items.length === 0) return undefined;
  return items[Math.floor(random() * items.length)];
}

/**
 * A normal deviate by the Box–Muller transform (G. E. P. Box and M. E. Muller, "A Note on the
 * Generation of Random Normal Deviates", Ann. Math. Statist. 29(2), 1958):
 * z = √(−2 ln u₁) · cos(2π u₂). u₁ is taken in (0, 1] so that ln never sees 0.
 */
export function normal(random: Random, mean = 0, sd = 1): number {
  const u1 = 1 - random();
  const u2 = random();
  return mean + sd * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

export interface LognormalParams {
  readonly mu: number;
  readonly sigma: number;
}

/**
 * Parameters of the log-normal whose median and 95th percentile are given. For X = e^(μ+σZ):
 * median = e^μ, p95 = e^(μ + z₀.₉₅ σ), hence μ = ln median and σ = (ln p95 − ln median) / 1.6449.
 * A p95 below the median (refused by the schema) is treated as equal to it: σ = 0.
 */
export function lognormalParams(median: number, p95: number): LognormalParams {
  const m = Math.max(Number.EPSILON, median);
  const sigma = Math.max(0, (Math.log(Math.max(p95, m)) - Math.log(m)) / Z_95);
  return { mu: Math.log(m), sigma };
}

/** A log-normal draw with the given median and 95th percentile. */
export function lognormal(random: Random, median: number, p95: number): number {
  const { mu, sigma } = lognormalParams(median, p95);
  return Math.exp(mu + sigma * normal(random));
}

export function clamp01(p: number): number {
  return p > 0 ? Math.min(1, p) : 0;
}
