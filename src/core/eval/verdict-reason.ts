/**
 * The sentences a reviewer reads. Numbers are shown to three significant digits with a real
 * minus sign, and differences always carry their sign, so "−0.012" and "+0.017" line up.
 */
import type { CriterionStatus } from './types.js';

export function formatNumber(x: number, signed = false): string {
  if (Number.isNaN(x)) return 'n/a';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  const abs = Math.abs(x);
  const body =
    abs >= 1000 ? groupDigits(Math.round(abs)) : abs === 0 ? '0' : String(Number(abs.toPrecision(3)));
  if (x < 0 && body !== '0') return `−${body}`;
  return signed && x > 0 ? `+${body}` : body;
}

/** 6111907 → "6,111,907" — by hand, since toLocaleString depends on the runtime's locale data. */
export function groupDigits(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A p-value: 4 decimals, or "< 0.0001". */
export function formatP(p: number): string {
  return p < 0.0001 ? '< 0.0001' : p.toFixed(4);
}

/** A confidence level as a percentage: 0.9 → "90 %", 0.9667 → "96.7 %". */
export function formatLevel(level: number): string {
  return `${Number((level * 100).toFixed(1))} %`;
}

export interface StatisticalReason {
  readonly subject: string;
  readonly kind: 'difference' | 'ratio';
  readonly estimate: number;
  /** Absent when a bound is unbounded (a resample with a zero baseline). */
  readonly ci: readonly [number, number] | undefined;
  readonly level: number;
  /** The criterion passes when the estimate is shown above (≥) or below (≤) the boundary. */
  readonly direction: 'above' | 'below';
  readonly boundary: number;
  readonly status: CriterionStatus;
  readonly pAdjusted: number;
  readonly pFail: number;
  readonly alpha: number;
  readonly moreCases: number | null | undefined;
}

/**
 * "close-to-reference: Δ −0.012 (90 % CI −0.041 to +0.017) ≥ −0.03 not shown (Holm p 0.2100);
 * inconclusive — about 140 more cases would settle it".
 */
export function statisticalReason(r: StatisticalReason): string {
  const signed = r.kind === 'difference';
  const value = `${r.kind === 'difference' ? 'Δ' : 'ratio'} ${formatNumber(r.estimate, signed)}`;
  const ci =
    r.ci === undefined
      ? `(${formatLevel(r.level)} CI unbounded)`
      : `(${formatLevel(r.level)} CI ${formatNumber(r.ci[0], signed)} to ${formatNumber(r.ci[1], signed)})`;
  const bound = formatNumber(r.boundary, signed);
  const passing = `${r.direction === 'above' ? '≥' : '≤'} ${bound}`;
  const failing = `${r.direction === 'above' ? '<' : '>'} ${bound}`;
  const head = `${r.subject}: ${value} ${ci}`;
  if (r.status === 'pass')
    return `${head} ${passing} shown (Holm p ${formatP(r.pAdjusted)} ≤ ${r.alpha}); pass`;
  if (r.status === 'fail') return `${head} ${failing} shown (p ${formatP(r.pFail)} ≤ ${r.alpha}); fail`;
  return `${head} ${passing} not shown (Holm p ${formatP(r.pAdjusted)}); inconclusive — ${settle(r.moreCases)}`;
}

function settle(more: number | null | undefined): string {
  if (more === null || more === undefined) {
    return 'the estimate sits on the boundary, so no number of cases would settle it';
  }
  if (more === 0) return 'the evidence is at the threshold; a few more cases should settle it';
  return `about ${groupDigits(more)} more case${more === 1 ? '' : 's'} would settle it`;
}

/** Up to `max` ids, then "and N more". */
export function listIds(ids: readonly string[], max = 5): string {
  const shown = ids.slice(0, max).join(', ');
  return ids.length > max ? `${shown} and ${ids.length - max} more` : shown;
}
