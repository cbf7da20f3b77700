/**
 * The pull-request summary of a report, in GitHub-flavoured Markdown: headline, verdict table,
 * slices, worst regressions side by side, flaky cases, and a footer that ties it to the run.
 */
import {
  formatBoundary,
  formatCi,
  formatEstimate,
  formatNumber,
  formatPercent,
  formatPValues,
  moreCasesNote,
  plural,
  printable,
  ruleLabel,
  statusWord,
  summaryCounts,
} from './report-format.js';
import type { EvalReport, ReportRegression } from './report-schema.js';

/** GitHub refuses comments over 65,536 characters; long lists are cut well before that. */
const MAX_FLAKY_ROWS = 20;

/**
 * Makes text safe inside a table cell: a `|` would end the cell and a newline the row; HTML and
 * Markdown characters in a model's output would otherwise render (or hide) instead of showing.
 */
export function escapeCell(text: string): string {
  return printable(text)
    .replace(/[\\`*_[\]~#]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/\r\n|\r|\n/g, '<br>');
}

/** Inline code that survives backticks in the text, per CommonMark's code-span rules. */
function code(raw: string): string {
  const text = printable(raw);
  const runs = text.match(/`+/g) ?? [];
  const fence = '`'.repeat(Math.max(0, ...runs.map((r) => r.length)) + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** Inline code inside a table cell: the pipe is still a cell separator there unless escaped (GFM 0.29, 4.10). */
function codeCell(text: string): string {
  return code(text.replace(/\r\n|\r|\n/g, ' ')).replace(/\|/g, '\\|');
}

/** Inside <details>/<summary>, an HTML block, Markdown escapes would show literally: escape as HTML. */
function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r\n|\r|\n/g, ' ');
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)];
}

function headline(report: EvalReport): string[] {
  const failed = report.criteria.filter((c) => c.status === 'fail').length;
  const open = report.criteria.filter((c) => c.status === 'inconclusive').length;
  const tally = `${report.criteria.length - failed - open} passed, ${failed} failed, ${open} inconclusive`;
  return [
    `## Ballast eval: ${escapeCell(report.change.id)} — ${statusWord(report.verdict)}`,
    '',
    `**${statusWord(report.verdict)}** (exit ${report.exitCode}): ${tally}. ` +
      `Candidate ${code(report.candidate.variant)} vs baseline ${code(report.baseline.variant)} ` +
      `on ${plural(report.counts.cases, 'case')}.`,
  ];
}

function verdictTable(report: EvalReport): string[] {
  if (report.criteria.length === 0) return ['', '_No criteria: the change spec has no `offline.criteria`._'];
  const rows = report.criteria.map((c) => [
    escapeCell(c.name),
    escapeCell(ruleLabel(c)),
    formatEstimate(c),
    formatCi(c),
    formatBoundary(c),
    formatPValues(c),
    statusWord(c.status),
  ]);
  const reasons = report.criteria.map((c) => {
    const note = moreCasesNote(c);
    return `- **${escapeCell(c.name)}**: ${escapeCell(c.reason)}${note === undefined ? '' : ` (${note})`}`;
  });
  return [
    '',
    ...table(['criterion', 'rule', 'estimate', 'CI', 'boundary', 'p (adj.)', 'status'], rows),
    '',
    ...reasons,
  ];
}

function slicesTable(report: EvalReport): string[] {
  if (report.slices.length === 0) return [];
  const rows = report.slices.map((s) => {
    const notPassing = s.criteria.filter((c) => c.status !== 'pass');
    const detail = notPassing.map((c) => `${c.name}: ${c.status}`).join(', ');
    return [codeCell(s.tag), String(s.n), statusWord(s.verdict), detail === '' ? '' : escapeCell(detail)];
  });
  return [
    '',
    `### Slices (tags with at least ${report.gate.minSlice} cases)`,
    '',
    ...table(['slice', 'cases', 'verdict', 'not passing'], rows),
  ];
}

function outputCell(arm: ReportRegression['baseline']): string {
  if (arm.error !== null) return `_error:_ ${escapeCell(arm.error)}`;
  return arm.output === '' ? '_(empty)_' : escapeCell(arm.output);
}

function regressions(report: EvalReport): string[] {
  if (report.worstRegressions.length === 0) return [];
  const blocks = report.worstRegressions.flatMap((r) => {
    const summary =
      `${escapeHtml(r.id)}: ${formatNumber(r.delta, true)} ` +
      `(${formatNumber(r.baseline.score)} → ${formatNumber(r.candidate.score)})`;
    const context = [
      ...(r.input === null ? [] : [`**Input:** ${escapeCell(r.input)}`, '']),
      ...(r.reference === null ? [] : [`**Reference:** ${escapeCell(r.reference)}`, '']),
    ];
    // A blank line after <summary> lets GitHub render the Markdown inside <details>.
    return [
      '<details>',
      `<summary>${summary}</summary>`,
      '',
      ...context,
      ...table(
        [
          `baseline (${r.baseline.pass ? 'pass' : 'fail'})`,
          `candidate (${r.candidate.pass ? 'pass' : 'fail'})`,
        ],
        [[outputCell(r.baseline), outputCell(r.candidate)]],
      ),
      '',
      '</details>',
      '',
    ];
  });
  return ['', `### Worst regressions (${report.worstRegressions.length})`, '', ...blocks.slice(0, -1)];
}

function flakyTable(report: EvalReport): string[] {
  if (report.flaky.length === 0) return [];
  const shown = report.flaky.slice(0, MAX_FLAKY_ROWS);
  const rows = shown.map((f) => [
    codeCell(f.id),
    f.arms.join(', '),
    formatPercent(f.baselinePassRate),
    formatPercent(f.candidatePassRate),
    String(f.samples),
  ]);
  const more = report.flaky.length - shown.length;
  return [
    '',
    `### Flaky cases (${report.flaky.length}): repeats disagree on pass/fail`,
    '',
    ...table(['case', 'flaky arm', 'baseline pass rate', 'candidate pass rate', 'samples'], rows),
    ...(more > 0 ? ['', `…and ${more} more in the JSON report.`] : []),
  ];
}

function footer(report: EvalReport): string[] {
  const version = report.ballastVersion === null ? '' : ` · ballast ${report.ballastVersion}`;
  return [
    '',
    '---',
    '',
    `<sub>${escapeCell(summaryCounts(report))}<br>` +
      `run ${code(report.runId)} · dataset ${code(report.datasets.hash)} · ` +
      `repeats ${report.options.repeats} · seed ${report.options.seed} · α ${report.gate.alpha}${version}</sub>`,
  ];
}

export function reportMarkdown(report: EvalReport): string {
  return `${[
    ...headline(report),
    ...verdictTable(report),
    ...slicesTable(report),
    ...regressions(report),
    ...flakyTable(report),
    ...footer(report),
  ].join('\n')}\n`;
}
