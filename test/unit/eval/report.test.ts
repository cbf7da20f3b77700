import { Ajv2020 } from 'ajv/dist/2020.js';
import { XMLParser } from 'fast-xml-parser';
import { createColors } from 'picocolors';
import { describe, expect, it } from 'vitest';
import { renderReport } from '../../../src/adapters/files/write-report.js';
import { renderJunitXml } from '../../../src/adapters/files/write-report-junit.js';
import {
  buildReport,
  type ReportInput,
  truncateText,
  verdictExitCode,
} from '../../../src/core/eval/report.js';
import { moreCasesNote } from '../../../src/core/eval/report-format.js';
import { reportJunit } from '../../../src/core/eval/report-junit.js';
import { escapeCell, reportMarkdown } from '../../../src/core/eval/report-markdown.js';
import { reportJsonSchema, reportSchema } from '../../../src/core/eval/report-schema.js';
import { reportTerminal } from '../../../src/core/eval/report-terminal.js';
import type {
  ArmSummary,
  CriterionResult,
  PairedCase,
  SampleResult,
  VerdictResult,
} from '../../../src/core/eval/types.js';

function arm(score: number, passRate: number, extra: Partial<ArmSummary> = {}): ArmSummary {
  return {
    samples: 3,
    score,
    scorerScores: { equals: score },
    passRate,
    scorerPassRates: { equals: passRate },
    pass: passRate >= 0.5,
    latencyMs: 200,
    costUsd: 0.001,
    errors: 0,
    flaky: passRate > 0 && passRate < 1,
    ...extra,
  };
}

const cases: PairedCase[] = [
  { id: 'c1', tags: ['critical', 'billing'], baseline: arm(1, 1), candidate: arm(0, 0) },
  { id: 'c2', tags: ['billing'], baseline: arm(0.8, 1), candidate: arm(0.9, 1, { latencyMs: 250 }) },
  { id: 'c3', tags: ['refunds'], baseline: arm(0.6, 2 / 3), candidate: arm(0.5, 1 / 3) },
  { id: 'c4', tags: [], baseline: arm(1, 1), candidate: arm(1, 1, { errors: 1, costUsd: 0.002 }) },
];

const quality: CriterionResult = {
  name: 'quality',
  rule: 'non_inferior',
  measure: 'score',
  status: 'fail',
  n: 4,
  baselineMean: 0.85,
  candidateMean: 0.6,
  estimate: -0.25,
  ci: [-0.6, -0.05],
  boundary: -0.02,
  p: 0.2,
  pAdjusted: 0.4,
  reason: 'the score fell by 0.250 < margin & "more" | than allowed\u0001',
};
const criteria: CriterionResult[] = [
  quality,
  {
    name: 'critical cases',
    rule: 'no_new_failures',
    measure: 'pass',
    status: 'fail',
    n: 1,
    mcnemar: { b: 1, c: 0, p: 1 },
    regressions: ['c1'],
    reason: '1 critical case passes on the baseline and fails on the candidate',
  },
  {
    name: 'latency',
    rule: 'max_ratio',
    measure: 'latency',
    status: 'pass',
    n: 4,
    estimate: 1.0625,
    ci: [0.98, 1.12],
    boundary: 1.2,
    p: 0.001,
    pAdjusted: 0.003,
    reason: 'latency ratio 1.063, under 1.2',
  },
  {
    name: 'accuracy',
    rule: 'superior',
    measure: 'pass',
    scorer: 'equals',
    status: 'inconclusive',
    n: 4,
    estimate: 0.05,
    ci: [-0.2, 0.3],
    boundary: 0,
    p: 0.3,
    pAdjusted: 0.6,
    moreCases: 120,
    reason: 'the gain is not yet distinguishable from 0',
  },
];
const verdict: VerdictResult = {
  verdict: 'fail',
  criteria,
  slices: [{ tag: 'billing', n: 2, verdict: 'fail', criteria: [quality] }],
};

const sample = (caseId: string, a: 'baseline' | 'candidate', i: number, output: string): SampleResult => ({
  caseId,
  arm: a,
  sample: i,
  output,
  scores: [],
  score: 0,
  pass: false,
  latencyMs: 200,
  costUsd: 0.001,
});
const samples: SampleResult[] = [
  sample('c1', 'candidate', 1, 'a later sample, not shown'),
  sample('c1', 'candidate', 0, 'refund is a | b\nsecond line <b>bold</b>'),
  sample('c1', 'baseline', 0, 'The refund takes 5 days.'),
  {
    ...sample('c3', 'candidate', 0, ''),
    failure: { kind: 'timeout', message: 'no answer in 30 s', attempts: 1, latencyMs: 30_000 },
  },
  sample('c3', 'baseline', 0, 'x'.repeat(1000)),
];

const input: ReportInput = {
  runId: 'run-42',
  change: { id: 'support-tone', title: 'Warmer tone', offline: { alpha: 0.05, min_slice: 2 } },
  baseline: { name: 'tone-v1', provider: 'openai' },
  candidate: { name: 'tone-v2', provider: 'sim' },
  datasets: { hash: 'sha256:abc123', files: [{ path: 'data/cases.jsonl', hash: 'sha256:abc123', cases: 4 }] },
  options: {
    repeats: 3,
    concurrency: 8,
    cache: 'readwrite',
    seed: 7,
    limit: null,
    filter: [],
    shard: null,
    inconclusive: null,
    resume: null,
    baselineRun: null,
  },
  startedAt: Date.UTC(2025, 0, 2, 3, 4, 5),
  finishedAt: Date.UTC(2025, 0, 2, 3, 4, 17, 300),
  verdict,
  cases,
  samples,
  evalCases: [{ id: 'c1', input: 'How long is a refund?', tags: [], vars: {}, line: 1, reference: '5 days' }],
  cacheHits: 6,
  ballastVersion: '0.1.0',
};
const report = buildReport(input);

describe('buildReport', () => {
  it('fills the header, counts and arm totals', () => {
    expect(report).toMatchObject({
      schemaVersion: 1,
      kind: 'ballast.eval',
      runId: 'run-42',
      verdict: 'fail',
    });
    expect(report.exitCode).toBe(1);
    expect(report.timings).toEqual({
      startedAt: '2025-01-02T03:04:05.000Z',
      finishedAt: '2025-01-02T03:04:17.300Z',
      wallMs: 12_300,
    });
    expect(report.counts).toEqual({
      cases: 4,
      samples: 24,
      errors: 1,
      cacheHits: 6,
      cacheHitRate: 0.25,
      flakyCases: 1,
    });
    expect(report.arms.baseline.costUsd).toBeCloseTo(0.012);
    expect(report.arms.candidate.costUsd).toBeCloseTo(0.015);
    expect(report.arms.candidate.passRate).toBe(0.5);
    expect(report.criteria[0]).toMatchObject({
      scorer: null,
      mcnemar: null,
      moreCases: null,
      regressions: [],
    });
    expect(report.criteria[3]!.moreCases).toBe(120);
  });

  it('lists the worst regressions most negative first, with the first sample of each arm', () => {
    expect(report.worstRegressions.map((r) => r.id)).toEqual(['c1', 'c3']);
    const [c1, c3] = report.worstRegressions;
    expect(c1).toMatchObject({ delta: -1, input: 'How long is a refund?', reference: '5 days' });
    expect(c1!.candidate.output).toBe('refund is a | b\nsecond line <b>bold</b>');
    expect(c3!.candidate).toMatchObject({ output: '', error: 'timeout: no answer in 30 s' });
    expect(Array.from(c3!.baseline.output)).toHaveLength(300);
    expect(c3!.baseline.output.endsWith('…')).toBe(true);
    expect(buildReport({ ...input, worstRegressions: 1 }).worstRegressions).toHaveLength(1);
  });

  it('leaves the per-case list empty when no output needs it, and nothing else', () => {
    const short = buildReport({ ...input, perCase: false });
    expect(short.cases).toEqual([]);
    expect(report.cases).toHaveLength(input.cases.length);
    expect({ ...short, cases: report.cases }).toEqual(report);
  });

  it('lists flaky cases with the arms whose repeats disagree', () => {
    expect(report.flaky).toEqual([
      {
        id: 'c3',
        tags: ['refunds'],
        arms: ['baseline', 'candidate'],
        baselinePassRate: 2 / 3,
        candidatePassRate: 1 / 3,
        samples: 3,
      },
    ]);
  });

  it('maps the verdict to the exit code, honouring --inconclusive', () => {
    expect(verdictExitCode('pass', null)).toBe(0);
    expect(verdictExitCode('inconclusive', null)).toBe(4);
    expect(verdictExitCode('inconclusive', 'pass')).toBe(0);
    expect(verdictExitCode('inconclusive', 'fail')).toBe(1);
    expect(verdictExitCode('fail', 'pass')).toBe(1);
  });

  it('turns non-finite numbers into null and cuts text without splitting a code point', () => {
    const odd = buildReport({
      ...input,
      verdict: {
        ...verdict,
        criteria: [{ ...quality, estimate: Number.POSITIVE_INFINITY, ci: [0, Number.NaN] }],
      },
    });
    expect(odd.criteria[0]).toMatchObject({ estimate: null, ci: null });
    expect(truncateText('😀'.repeat(5), 3)).toBe('😀😀…');
  });
});

describe('report JSON schema', () => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  // zod also emits a pattern for it; a format checker keeps Ajv from warning that it ignores one.
  ajv.addFormat('date-time', (text: string) => !Number.isNaN(Date.parse(text)));
  const validate = ajv.compile(reportJsonSchema);

  it('validates the built report, as JSON, against the published JSON Schema and the zod schema', async () => {
    const json: unknown = JSON.parse(await renderReport(report, 'json'));
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
    expect(reportSchema.safeParse(json).success).toBe(true);
  });

  it('accepts added fields (additive changes keep version 1) and refuses a wrong version or type', () => {
    expect(validate({ ...report, addedLater: true, counts: { ...report.counts, extra: 1 } })).toBe(true);
    expect(validate({ ...report, schemaVersion: 2 })).toBe(false);
    expect(validate({ ...report, verdict: 'maybe' })).toBe(false);
    const { runId: _, ...missing } = report;
    expect(validate(missing)).toBe(false);
  });
});

/** Cells of a Markdown table row: pipes not escaped with a backslash. */
const cellCount = (line: string) => line.split(/(?<!\\)\|/).length - 2;

describe('reportMarkdown', () => {
  const md = reportMarkdown(report);
  const lines = md.split('\n');

  it('has a headline with the status word and a verdict table with one row per criterion', () => {
    expect(lines[0]).toBe('## Ballast eval: support-tone — FAIL');
    const header = lines.indexOf('| criterion | rule | estimate | CI | boundary | p (adj.) | status |');
    expect(header).toBeGreaterThan(0);
    expect(lines[header + 1]).toBe('| --- | --- | --- | --- | --- | --- | --- |');
    const rows = lines.slice(header + 2, header + 6);
    expect(rows.map((r) => r.split(' | ')[0])).toEqual([
      '| quality',
      '| critical cases',
      '| latency',
      '| accuracy',
    ]);
    expect(rows.map((r) => r.split(' | ').at(-1))).toEqual(['FAIL |', 'FAIL |', 'PASS |', 'INCONCLUSIVE |']);
    expect(rows[0]).toContain('| -0.250 | [-0.600, -0.050] | -0.020 | 0.200 (0.400) |');
    expect(rows[2]).toContain('| 1.063× | [0.980, 1.120] | 1.200× |');
    expect(md).toMatch(/about 120 more cases would settle it/);
  });

  it('keeps every table row to its header’s cell count, escaping pipes and newlines in outputs', () => {
    expect(md).toContain('refund is a \\| b<br>second line &lt;b&gt;bold&lt;/b&gt;');
    expect(md).toContain('score fell by 0.250 &lt; margin &amp; "more" \\| than allowed');
    let width = 0;
    for (const line of lines) {
      if (!line.startsWith('|')) {
        width = 0;
        continue;
      }
      if (width === 0) width = cellCount(line);
      expect(cellCount(line), line).toBe(width);
    }
  });

  it('shows slices, regressions side by side, flaky cases and a footer with the run and dataset', () => {
    expect(md).toContain('| `billing` | 2 | FAIL | quality: fail |');
    expect(md).toContain('<summary>c1: -1.000 (1.000 → 0.000)</summary>');
    expect(md).toContain('| baseline (pass) | candidate (fail) |');
    expect(md).toContain('_error:_ timeout: no answer in 30 s');
    expect(md).toContain('| `c3` | baseline, candidate | 66.7% | 33.3% | 3 |');
    expect(md).toContain('run `run-42` · dataset `sha256:abc123`');
    expect(md).not.toContain('a later sample');
  });

  it('escapes Markdown and HTML in a cell', () => {
    expect(escapeCell('a|b\r\n*x* <i> `c` \\')).toBe('a\\|b<br>\\*x\\* &lt;i&gt; \\`c\\` \\\\');
  });
});

describe('JUnit', () => {
  const xml = renderJunitXml(reportJunit(report));
  const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
  const suites = parsed.testsuites.testsuite;

  it('parses, with the right counts of tests, failures and skipped', () => {
    expect(parsed.testsuites).toMatchObject({ tests: '5', failures: '3', skipped: '1', errors: '0' });
    expect(suites[0]).toMatchObject({
      name: 'ballast eval support-tone',
      tests: '4',
      failures: '2',
      skipped: '1',
    });
    expect(suites[1]).toMatchObject({
      name: 'ballast eval support-tone · no_new_failures',
      tests: '1',
      failures: '1',
    });
    expect(suites[1].testcase).toMatchObject({
      name: 'c1',
      classname: 'ballast.eval.support-tone.critical cases',
    });
  });

  it('maps fail to failure and inconclusive to skipped, escaping the text', () => {
    const [quality, , latency, accuracy] = suites[0].testcase;
    expect(quality.failure.type).toBe('non_inferior');
    expect(quality.failure.message).toBe('the score fell by 0.250 < margin & "more" | than allowed\uFFFD');
    expect(quality['system-out']).toBeUndefined();
    expect(latency['system-out']).toContain('boundary: 1.200×');
    expect(latency.failure).toBeUndefined();
    expect(latency.skipped).toBeUndefined();
    expect(accuracy.skipped.message).toMatch(/^inconclusive: .*about 120 more cases/);
    expect(xml).not.toContain('\u0001');
    expect(suites[0].timestamp).toBe('2025-01-02T03:04:05.000Z');
  });

  it('has no regression suite without a no_new_failures criterion', () => {
    const doc = reportJunit({
      ...report,
      criteria: report.criteria.filter((c) => c.rule !== 'no_new_failures'),
    });
    expect(doc.suites).toHaveLength(1);
  });
});

describe('reportTerminal', () => {
  it('shows the verdict, aligned criteria rows with their statuses, and the summary line (colours off)', () => {
    const lines = reportTerminal(report, createColors(false));
    expect(lines[0]).toMatch(
      /^FAIL {2}ballast eval support-tone: candidate tone-v2 vs baseline tone-v1 \(exit 1\)$/,
    );
    const rows = lines.filter((l) => /^ {2}(quality|critical cases|latency|accuracy) /.test(l));
    expect(rows.map((r) => r.trim().split(/\s+/).at(-1))).toEqual(['fail', 'fail', 'pass', 'inconclusive']);
    expect(new Set(rows.map((r) => r.lastIndexOf(' ') + 1)).size).toBe(1);
    expect(lines).toContain('  slices: billing (2) fail');
    expect(lines).toContain('  flaky (repeats disagree): 1 case: c3');
    expect(lines).toContain('  worst regressions: c1 (-1.000), c3 (-0.100)');
    expect(lines).toContain(
      '  4 cases · 24 samples · 1 error · cache 25.0% · 12.3 s · cost baseline $0.0120, candidate $0.0150',
    );
    expect(lines.join('\n')).not.toContain('\u001b[');
    expect(lines).toContain('    the score fell by 0.250 < margin & "more" | than allowed\uFFFD');
  });

  it('colours the verdict when colours are on', () => {
    expect(reportTerminal(report, createColors(true))[0]).toContain('\u001b[31m');
  });
});

describe('moreCasesNote', () => {
  const inconclusive = (moreCases: number | null, reason = 'not shown') =>
    ({ status: 'inconclusive', moreCases, reason }) as Parameters<typeof moreCasesNote>[0];

  it('never says "about 0 more cases", and counts with digit groups and the right plural', () => {
    expect(moreCasesNote(inconclusive(0))).toBe(
      'the evidence is at the threshold; a few more cases should settle it',
    );
    expect(moreCasesNote(inconclusive(1))).toBe('about 1 more case would settle it at the observed effect');
    expect(moreCasesNote(inconclusive(12_400))).toBe(
      'about 12,400 more cases would settle it at the observed effect',
    );
    expect(moreCasesNote(inconclusive(null))).toMatch(/^no number of further cases/);
    // Fewer than two cases: untestable for now, and more cases would help; the reason says why.
    expect(moreCasesNote({ ...inconclusive(null), n: 1 })).toBeUndefined();
  });

  it('says nothing when the reason already says it', () => {
    expect(
      moreCasesNote(
        inconclusive(
          0,
          'x; inconclusive — the evidence is at the threshold; a few more cases should settle it',
        ),
      ),
    ).toBeUndefined();
    expect(
      moreCasesNote(inconclusive(40, 'x; inconclusive — about 40 more cases would settle it')),
    ).toBeUndefined();
    expect(moreCasesNote({ ...inconclusive(40), status: 'pass' })).toBeUndefined();
  });
});
