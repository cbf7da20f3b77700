/**
 * Maps a report to JUnit test suites, the format every CI system shows as test results. The
 * mapping is here, pure; src/adapters/files/write-report-junit.ts serialises it with an XML
 * builder (core may not import one: see .dependency-cruiser.cjs).
 *
 * Suite 1, "ballast eval <change>": one test case per criterion; fail → <failure>,
 * inconclusive → <skipped> (CI shows it as neither green nor red, which is what it is).
 * Suite 2, "ballast eval <change> · no_new_failures": one failing test case per case that passed
 * on the baseline and failed on the candidate, so a CI page lists the regressed cases by id.
 */
import {
  formatBoundary,
  formatCi,
  formatEstimate,
  formatPValues,
  moreCasesNote,
  ruleLabel,
} from './report-format.js';
import type { EvalReport, ReportCriterion } from './report-schema.js';

export type JunitOutcome =
  | { readonly kind: 'pass' }
  | { readonly kind: 'failure'; readonly type: string; readonly message: string; readonly detail: string }
  | { readonly kind: 'skipped'; readonly message: string };

export interface JunitCase {
  readonly classname: string;
  readonly name: string;
  /** Seconds. */
  readonly time: number;
  readonly outcome: JunitOutcome;
  readonly systemOut?: string;
}

export interface JunitSuite {
  readonly name: string;
  /** ISO 8601, when the run started. */
  readonly timestamp: string;
  /** Seconds. */
  readonly time: number;
  readonly properties: readonly (readonly [string, string])[];
  readonly cases: readonly JunitCase[];
}

export interface JunitDocument {
  readonly name: string;
  readonly time: number;
  readonly suites: readonly JunitSuite[];
}

export interface JunitCounts {
  readonly tests: number;
  readonly failures: number;
  readonly skipped: number;
}

export function junitCounts(cases: readonly JunitCase[]): JunitCounts {
  return {
    tests: cases.length,
    failures: cases.filter((c) => c.outcome.kind === 'failure').length,
    skipped: cases.filter((c) => c.outcome.kind === 'skipped').length,
  };
}

function criterionDetail(c: ReportCriterion): string {
  const lines = [
    `rule: ${ruleLabel(c)}`,
    `cases: ${c.n}`,
    `estimate: ${formatEstimate(c)}`,
    `CI: ${formatCi(c)}`,
    `boundary: ${formatBoundary(c)}`,
    `p (adjusted): ${formatPValues(c)}`,
  ];
  if (c.mcnemar !== null) lines.push(`McNemar: b=${c.mcnemar.b} c=${c.mcnemar.c} p=${c.mcnemar.p}`);
  if (c.regressions.length > 0) lines.push(`regressions: ${c.regressions.join(', ')}`);
  lines.push(`reason: ${c.reason}`);
  return lines.join('\n');
}

function criterionCase(classname: string, c: ReportCriterion): JunitCase {
  const detail = criterionDetail(c);
  const outcome: JunitOutcome =
    c.status === 'fail'
      ? { kind: 'failure', type: c.rule, message: c.reason, detail }
      : c.status === 'inconclusive'
        ? {
            kind: 'skipped',
            message: `inconclusive: ${[c.reason, moreCasesNote(c)].filter(Boolean).join('; ')}`,
          }
        : { kind: 'pass' };
  // A failure carries the detail in its body already; the others show it as the test's output.
  return {
    classname,
    name: c.name,
    time: 0,
    outcome,
    ...(outcome.kind === 'failure' ? {} : { systemOut: detail }),
  };
}

export function reportJunit(report: EvalReport): JunitDocument {
  const change = report.change.id;
  const classname = `ballast.eval.${change}`;
  const timestamp = report.timings.startedAt;
  const time = report.timings.wallMs / 1000;
  const properties: (readonly [string, string])[] = [
    ['run_id', report.runId],
    ['verdict', report.verdict],
    ['baseline', `${report.baseline.variant} (${report.baseline.provider})`],
    ['candidate', `${report.candidate.variant} (${report.candidate.provider})`],
    ['dataset_hash', report.datasets.hash],
    ['cases', String(report.counts.cases)],
    ['repeats', String(report.options.repeats)],
    ['seed', String(report.options.seed)],
  ];
  const suites: JunitSuite[] = [
    {
      name: `ballast eval ${change}`,
      timestamp,
      time,
      properties,
      cases: report.criteria.map((c) => criterionCase(classname, c)),
    },
  ];

  const gates = report.criteria.filter((c) => c.rule === 'no_new_failures');
  if (gates.length > 0) {
    const byId = new Map(report.cases.map((c) => [c.id, c]));
    const cases = gates.flatMap((gate) =>
      gate.regressions.map((id): JunitCase => {
        const c = byId.get(id);
        const scores =
          c === undefined ? '' : ` (score ${c.baseline.score.toFixed(3)} → ${c.candidate.score.toFixed(3)})`;
        return {
          classname: `${classname}.${gate.name}`,
          name: id,
          // The candidate's mean call time: what a CI page shows as the test's duration.
          time: c === undefined ? 0 : c.candidate.latencyMs / 1000,
          outcome: {
            kind: 'failure',
            type: 'no_new_failures',
            message: `passes on the baseline, fails on the candidate${scores}`,
            detail: `case ${id}${c === undefined ? '' : ` tags: ${c.tags.join(', ')}`}`,
          },
        };
      }),
    );
    suites.push({
      name: `ballast eval ${change} · no_new_failures`,
      timestamp,
      time: 0,
      properties: [],
      cases,
    });
  }
  return { name: `ballast eval ${change}`, time, suites };
}
