/**
 * Holm–Bonferroni step-down correction (S. Holm, "A Simple Sequentially Rejective Multiple
 * Test Procedure", Scandinavian Journal of Statistics 6(2), 1979). It controls the
 * family-wise error rate at α under any dependence between the tests — the criteria of one
 * eval share their cases, so independence cannot be assumed — and is uniformly more powerful
 * than plain Bonferroni.
 *
 * With the k p-values sorted ascending p₍₁₎ ≤ … ≤ p₍ₖ₎, the hypothesis of rank i is rejected
 * when p₍ⱼ₎ ≤ α/(k − j + 1) for every j ≤ i. Equivalently its adjusted p-value is
 * p̃₍ᵢ₎ = maxⱼ≤ᵢ min(1, (k − j + 1)·p₍ⱼ₎), and it is rejected when p̃ ≤ α.
 */

/** Indices of `p` sorted by ascending p; ties keep their input order so results are stable. */
function ranks(p: readonly number[]): number[] {
  return p.map((_, i) => i).sort((a, b) => clean(p[a]!) - clean(p[b]!) || a - b);
}

/** A NaN p-value is no evidence at all: treat it as 1. */
function clean(p: number): number {
  return Number.isNaN(p) ? 1 : Math.min(1, Math.max(0, p));
}

/** Holm-adjusted p-values in the input order: monotone in rank, capped at 1. */
export function holmAdjust(p: readonly number[]): number[] {
  const k = p.length;
  const adjusted = new Array<number>(k).fill(1);
  let running = 0;
  ranks(p).forEach((index, j) => {
    running = Math.max(running, Math.min(1, (k - j) * clean(p[index]!)));
    adjusted[index] = running;
  });
  return adjusted;
}

/**
 * The per-hypothesis level α/(k − rank + 1) that Holm compares each p-value with, in the
 * input order. Reports use it to show a confidence interval at the level the decision used.
 */
export function holmLevels(p: readonly number[], alpha: number): number[] {
  const k = p.length;
  const levels = new Array<number>(k).fill(alpha);
  ranks(p).forEach((index, j) => {
    levels[index] = alpha / (k - j);
  });
  return levels;
}
