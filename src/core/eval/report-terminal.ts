/**
 * The terminal view of a report: a coloured verdict, the criteria as aligned rows, slices, the
 * worst regressions by id, and a one-line summary. Returns lines; the CLI decides where they go.
 * Aligned by hand rather than with a table library: core may not import one, and padding plain
 * text before colouring it keeps the columns straight whether colours are on or off.
 */
import {
  formatBoundary,
  formatCi,
  formatEstimate,
  formatNumber,
  formatPValues,
  moreCasesNote,
  printable,
  ruleLabel,
  statusWord,
  summaryCounts,
} from './report-format.js';
import type { EvalReport } from './report-schema.js';

/** The part of picocolors' `createColors()` used here; `createColors(false)` gives plain text. */
export interface ReportColors {
  readonly bold: (text: string) => string;
  readonly dim: (text: string) => string;
  readonly red: (text: string) => string;
  readonly green: (text: string) => string;
  readonly yellow: (text: string) => string;
}

const MAX_REGRESSION_IDS = 5;

function paint(color: ReportColors, status: EvalReport['verdict'], text: string): string {
  return status === 'pass' ? color.green(text) : status === 'fail' ? color.red(text) : color.yellow(text);
}

/** Pads every column to its widest cell; `right` columns (numbers) are right-aligned. */
function align(rows: readonly (readonly string[])[], right: ReadonlySet<number>): string[][] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => Array.from(r[i] ?? '').length))) ?? [];
  return rows.map((row) =>
    row.map((cell, i) => {
      const pad = ' '.repeat((widths[i] ?? 0) - Array.from(cell).length);
      // The last column is not padded, so lines carry no trailing spaces.
      if (i === row.length - 1) return cell;
      return right.has(i) ? pad + cell : cell + pad;
    }),
  );
}

function criteriaLines(report: EvalReport, color: ReportColors): string[] {
  if (report.criteria.length === 0) return ['  no criteria: the change spec has no offline.criteria'];
  const header = ['criterion', 'rule', 'estimate', 'CI', 'boundary', 'p (adj.)', 'status'];
  const body = report.criteria.map((c) => [
    printable(c.name),
    ruleLabel(c),
    formatEstimate(c),
    formatCi(c),
    formatBoundary(c),
    formatPValues(c),
    c.status,
  ]);
  const aligned = align([header, ...body], new Set([2, 3, 4, 5]));
  const lines = [`  ${color.dim(aligned[0]!.join('  '))}`];
  report.criteria.forEach((c, i) => {
    const cells = aligned[i + 1]!;
    lines.push(`  ${cells.slice(0, -1).join('  ')}  ${paint(color, c.status, cells.at(-1)!)}`);
    // Why a criterion did not pass is the first thing a reader asks; a passing one needs no note.
    if (c.status !== 'pass') {
      const note = moreCasesNote(c);
      lines.push(`    ${color.dim(printable(`${c.reason}${note === undefined ? '' : ` (${note})`}`))}`);
    }
  });
  return lines;
}

function sliceLine(report: EvalReport, color: ReportColors): string[] {
  if (report.slices.length === 0) return [];
  const parts = report.slices.map(
    (s) => `${printable(s.tag)} (${s.n}) ${paint(color, s.verdict, s.verdict)}`,
  );
  return [`  slices: ${parts.join(' · ')}`];
}

function regressionLine(report: EvalReport): string[] {
  const worst = report.worstRegressions;
  if (worst.length === 0) return [];
  const shown = worst
    .slice(0, MAX_REGRESSION_IDS)
    .map((r) => `${printable(r.id)} (${formatNumber(r.delta, true)})`);
  const more = worst.length > MAX_REGRESSION_IDS ? ` and ${worst.length - MAX_REGRESSION_IDS} more` : '';
  return [`  worst regressions: ${shown.join(', ')}${more}`];
}

function flakyLine(report: EvalReport): string[] {
  if (report.flaky.length === 0) return [];
  const ids = report.flaky.slice(0, MAX_REGRESSION_IDS).map((f) => printable(f.id));
  const more = report.flaky.length > ids.length ? `, …` : '';
  const n = report.flaky.length;
  return [`  flaky (repeats disagree): ${n} case${n === 1 ? '' : 's'}: ${ids.join(', ')}${more}`];
}

export function reportTerminal(report: EvalReport, color: ReportColors): string[] {
  const head =
    `${color.bold(paint(color, report.verdict, statusWord(report.verdict)))}  ` +
    printable(
      `ballast eval ${report.change.id}: candidate ${report.candidate.variant} ` +
        `vs baseline ${report.baseline.variant} (exit ${report.exitCode})`,
    );
  return [
    head,
    '',
    ...criteriaLines(report, color),
    ...sliceLine(report, color),
    ...regressionLine(report),
    ...flakyLine(report),
    '',
    `  ${color.dim(summaryCounts(report))}`,
    `  ${color.dim(`run ${report.runId} · dataset ${report.datasets.hash}`)}`,
  ];
}
