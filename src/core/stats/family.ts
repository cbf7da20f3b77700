/**
 * Per-test levels for a family of k guardrails checked together, so that the chance of any false
 * alarm stays at most α.
 *
 * Šidák: α₁ = 1 − (1 − α)^(1/k), exact for k independent tests and valid under positive
 * dependence (Z. Šidák, "Rectangular Confidence Regions for the Means of Multivariate Normal
 * Distributions", JASA 62(318), 1967). Bonferroni: α₁ = α/k, valid under any dependence
 * (Boole's inequality; O. J. Dunn, "Multiple Comparisons Among Means", JASA 56(293), 1961).
 * Šidák's level is slightly larger (less conservative): 0.05 over 3 → 0.016952 against 0.016667.
 */

function requireFamily(alpha: number, k: number): void {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
}

/** 1 − (1 − α)^(1/k), computed as −expm1(log1p(−α)/k) so that small α keeps its precision. */
export function sidakAlpha(alpha: number, k: number): number {
  requireFamily(alpha, k);
  return -Math.expm1(Math.log1p(-alpha) / k);
}

/** α/k. */
export function bonferroniAlpha(alpha: number, k: number): number {
  requireFamily(alpha, k);
  return alpha / k;
}
