/**
 * Number and label formatting shared by the Markdown, JUnit and terminal views of a report, so
 * the three show a criterion the same way.
 */

import type { EvalReport, ReportCriterion } from './report-schema.js';
import { groupDigits } from './verdict-reason.js';

/** Shown where a value does not apply (no estimate for a rule, no p-value). */
export const NOT_APPLICABLE = '—';

/**
 * Replaces control characters other than tab and line breaks: a dataset id or a model's output
 * could otherwise carry terminal escape sequences into a CI log or odd bytes into a PR comment.
 */
export function printable(text: string): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    const control = (cp < 0x20 && ch !== '\t' && ch !== '\n' && ch !== '\r') || (cp >= 0x7f && cp < 0xa0);
    out += control ? '\uFFFD' : ch;
  }
  return out;
}

/** "1 case", "30 cases". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function statusWord(status: EvalReport['verdict']): string {
  return status.toUpperCase();
}

/** Three decimals: score differences matter at the 0.01 level and the CI rarely supports more. */
export function formatNumber(value: number | null, signed = false): string {
  if (value === null) return NOT_APPLICABLE;
  const text = value.toFixed(3);
  return signed && value > 0 ? `+${text}` : text === '-0.000' ? '0.000' : text;
}

export function formatEstimate(c: ReportCriterion): string {
  // max_ratio compares a ratio with its max, so a sign would mislead; the others are differences.
  return c.rule === 'max_ratio' ? formatRatio(c.estimate) : formatNumber(c.estimate, true);
}

export function formatRatio(value: number | null): string {
  return value === null ? NOT_APPLICABLE : `${value.toFixed(3)}×`;
}

export function formatCi(c: ReportCriterion): string {
  if (c.ci === null) return NOT_APPLICABLE;
  const f = (v: number) => (c.rule === 'max_ratio' ? v.toFixed(3) : formatNumber(v, true));
  return `[${f(c.ci[0])}, ${f(c.ci[1])}]`;
}

export function formatBoundary(c: ReportCriterion): string {
  return c.rule === 'max_ratio' ? formatRatio(c.boundary) : formatNumber(c.boundary, true);
}

export function formatP(value: number | null): string {
  if (value === null) return NOT_APPLICABLE;
  return value < 0.001 ? '<0.001' : value.toFixed(3);
}

/** "raw (adjusted)"; the McNemar p stands in when the criterion's test gave none. */
export function formatPValues(c: ReportCriterion): string {
  const raw = c.p ?? c.mcnemar?.p ?? null;
  if (raw === null) return NOT_APPLICABLE;
  return c.pAdjusted === null ? formatP(raw) : `${formatP(raw)} (${formatP(c.pAdjusted)})`;
}

/** e.g. "non_inferior · score of accuracy", "max_ratio · latency". */
export function ruleLabel(c: ReportCriterion): string {
  return `${c.rule} · ${c.measure}${c.scorer === null ? '' : ` of ${c.scorer}`}`;
}

export function formatPercent(value: number | null): string {
  return value === null ? NOT_APPLICABLE : `${(value * 100).toFixed(1)}%`;
}

export function formatWall(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes}m ${String(seconds).padStart(2, '0')}s`;
}

/** Four decimals under a dollar: one eval of a small model often costs cents. */
export function formatUsd(value: number): string {
  return `$${value.toFixed(value < 1 ? 4 : 2)}`;
}

/** What settles an inconclusive criterion, for a reviewer deciding whether to add cases. */
export function moreCasesNote(c: ReportCriterion): string | undefined {
  if (c.status !== 'inconclusive') return undefined;
  // The verdict's reason usually says it already; saying it twice reads as a bug.
  if (/more cases? (would|should)|further cases|no number of/.test(c.reason ?? '')) return undefined;
  // Fewer than two cases: the reason says why it cannot be tested yet, and more cases would help.
  if (c.moreCases === null && c.n < 2) return undefined;
  if (c.moreCases === null) return 'no number of further cases would settle it at the observed effect';
  // 0: the normal approximation says the cases suffice, but the bootstrap bound still touches the
  // boundary; "about 0 more cases" would read as a contradiction.
  if (c.moreCases === 0) return 'the evidence is at the threshold; a few more cases should settle it';
  return `about ${groupDigits(c.moreCases)} more case${c.moreCases === 1 ? '' : 's'} would settle it at the observed effect`;
}

export function summaryCounts(report: EvalReport): string {
  const c = report.counts;
  return [
    plural(c.cases, 'case'),
    plural(c.samples, 'sample'),
    plural(c.errors, 'error'),
    `cache ${formatPercent(c.cacheHitRate)}`,
    formatWall(report.timings.wallMs),
    `cost baseline ${formatUsd(report.arms.baseline.costUsd)}, candidate ${formatUsd(report.arms.candidate.costUsd)}`,
  ].join(' · ');
}
