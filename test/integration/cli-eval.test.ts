import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../support/run-cli.js';

/**
 * A project from `ballast init` with extra candidates on the sim: one much less accurate, one
 * identical to the baseline, one slightly worse. The sim answers at once (timeScale 0) and its
 * reported latencies stay as planned.
 */
async function project(): Promise<string> {
  const root = tempDir();
  await runCli(['init'], root);
  const yaml = join(root, 'ballast.yaml');
  let text = readFileSync(yaml, 'utf8').replace('    seed: 42\n', '    seed: 42\n    timeScale: 0\n');
  const variant = (name: string, accuracy: number) => `  ${name}:
    provider: sim
    model: sim-large
    system: file:prompts/support-v1.md
    params: { temperature: 0.2, max_tokens: 256 }
    sim:
      knowledge: datasets/example.jsonl
      accuracy: ${accuracy}
      latency: { median_ms: 420, p95_ms: 1300 }
      error_rate: 0.01
`;
  text = text.replace(
    'routes:\n',
    `${variant('support-bad', 0.3)}${variant('support-same', 0.86)}${variant('support-near', 0.72)}\nroutes:\n`,
  );
  writeFileSync(yaml, text);
  const change = readFileSync(join(root, 'changes/example.yaml'), 'utf8');
  for (const [id, candidate] of [
    ['bad', 'support-bad'],
    ['same', 'support-same'],
    ['near', 'support-near'],
  ] as const) {
    let spec = change
      .replace('id: example', `id: ${id}`)
      .replace('candidate: support-v2', `candidate: ${candidate}`);
    // `near` is judged on the statistical criterion alone: no_new_failures is deterministic and
    // would fail it outright on its first regressed critical case.
    if (id === 'near') spec = spec.replace(/ {4}- \{ rule: no_new_failures[^\n]*\n/, '');
    writeFileSync(join(root, `changes/${id}.yaml`), spec);
  }
  return root;
}

describe('ballast eval on the sim', () => {
  it('fails a much less accurate candidate (exit 1), with JUnit and Markdown reports', async () => {
    const root = await project();
    const run = await runCli(
      ['eval', 'bad', '--junit', 'out/junit.xml', '--markdown', 'out/summary.md'],
      root,
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/fail/i);
    const junit = new XMLParser({ ignoreAttributes: false }).parse(
      readFileSync(join(root, 'out/junit.xml'), 'utf8'),
    );
    expect(junit.testsuites).toBeDefined();
    const md = readFileSync(join(root, 'out/summary.md'), 'utf8');
    expect(md).toMatch(/\| *criterion *\|/i);
    expect(md).toContain('close-to-reference');
  });

  it('passes an identical candidate (exit 0) and stores the run', async () => {
    const root = await project();
    const run = await runCli(['eval', 'same', '--json'], root);
    expect(run.stderr).not.toMatch(/error/i);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ schemaVersion: 1, kind: 'ballast.eval', verdict: 'pass', exitCode: 0 });
    expect(run.code).toBe(0);
    expect(report.counts.cases).toBe(30);
    expect(report.cases).toHaveLength(30);
    // The stored summary is the report without its per-case array (eval_case_results has them).
    const db = new BetterSqlite3(join(root, '.ballast/ballast.db'), { readonly: true });
    try {
      const row = db.prepare('select verdict, summary from eval_runs where id = ?').get(report.runId) as {
        verdict: string;
        summary: string;
      };
      const { cases: _cases, ...rest } = report;
      expect(row.verdict).toBe('pass');
      expect(JSON.parse(row.summary)).toEqual({ ...rest, warnings: report.warnings });
      const stored = db
        .prepare('select count(*) as n from eval_case_results where run_id = ?')
        .get(report.runId);
      expect(stored).toEqual({ n: 60 });
    } finally {
      db.close();
    }
  });

  it('calls a small difference on few cases inconclusive (exit 4), or pass/fail with --inconclusive', async () => {
    const root = await project();
    const run = await runCli(['eval', 'near', '--limit', '10', '--json'], root);
    const report = JSON.parse(run.stdout);
    expect(report.verdict).toBe('inconclusive');
    expect(run.code).toBe(4);
    const inconclusive = report.criteria.find((c: { status: string }) => c.status === 'inconclusive');
    expect(inconclusive.reason).toMatch(/more case|cases would/i);
    expect((await runCli(['eval', 'near', '--limit', '10', '--inconclusive', 'pass'], root)).code).toBe(0);
    expect((await runCli(['eval', 'near', '--limit', '10', '--inconclusive', 'fail'], root)).code).toBe(1);
  });

  it('reuses a stored baseline and refuses one made on other data', async () => {
    const root = await project();
    const first = JSON.parse((await runCli(['eval', 'same', '--json'], root)).stdout);
    const reuse = await runCli(['eval', 'bad', '--baseline-run', first.runId, '--json'], root);
    expect(JSON.parse(reuse.stdout).verdict).toBe('fail');
    const data = readFileSync(join(root, 'datasets/example.jsonl'), 'utf8').split('\n');
    writeFileSync(join(root, 'datasets/other.jsonl'), data.slice(1).join('\n'));
    const other = await runCli(
      ['eval', 'bad', '--baseline-run', first.runId, '--dataset', 'datasets/other.jsonl'],
      root,
    );
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('other data');
  });

  it('refuses bad flags and unknown changes with exit 2', async () => {
    const root = await project();
    expect((await runCli(['eval', 'nope'], root)).code).toBe(2);
    expect((await runCli(['eval', 'same', '--repeat', '0'], root)).code).toBe(2);
    expect((await runCli(['eval', 'same', '--shard', '3/2'], root)).code).toBe(2);
    expect((await runCli(['eval', 'same', '--cache', 'maybe'], root)).code).toBe(2);
  });
});

describe('ballast eval grades promptfoo llm-rubric assertions with a judge variant', () => {
  const PROMPTFOO = `prompts: ["{{question}}"]
providers: [openai:gpt-4o-mini]
tests:
  - vars: { question: "How do I reset my password?" }
    assert:
      - type: llm-rubric
        value: Tells the user where to reset the password
  - vars: { question: "Where can I download my invoices?" }
    assert:
      - type: llm-rubric
        value: Points to the Billing page
`;
  const rubricWarnings = (report: { warnings: string[] }) =>
    report.warnings.filter((w) => w.includes('llm-rubric'));

  it('skips them with a warning naming --judge and offline.judge when no judge is set', async () => {
    const root = await project();
    writeFileSync(join(root, 'pf.yaml'), PROMPTFOO);
    const run = await runCli(['eval', 'same', '--dataset', 'pf.yaml', '--json'], root);
    const report = JSON.parse(run.stdout) as { warnings: string[] };
    expect(rubricWarnings(report)).toHaveLength(2);
    expect(rubricWarnings(report)[0]).toContain('--judge <variant>');
    expect(rubricWarnings(report)[0]).toContain('offline.judge');
  });

  it('grades them with --judge, or with the change’s offline.judge', async () => {
    const root = await project();
    writeFileSync(join(root, 'pf.yaml'), PROMPTFOO);
    const flag = await runCli(
      ['eval', 'same', '--dataset', 'pf.yaml', '--judge', 'support-v1', '--json'],
      root,
    );
    expect([0, 4]).toContain(flag.code);
    const graded = JSON.parse(flag.stdout) as { runId: string; warnings: string[]; cases: unknown[] };
    expect(rubricWarnings(graded)).toEqual([]);
    expect(graded.cases).toHaveLength(2);
    // Each output went to the judge: its rubric score is stored with the case (the sim judge does
    // not answer in JSON, so it reads "no readable score").
    const db = new BetterSqlite3(join(root, '.ballast/ballast.db'), { readonly: true });
    try {
      const rows = db.prepare('select scores from eval_case_results where run_id = ?').all(graded.runId) as {
        scores: string;
      }[];
      expect(rows).toHaveLength(4);
      for (const row of rows) {
        const rubric = (
          JSON.parse(row.scores) as { scores: { scorer: string; reason: string }[] }
        ).scores.find((x) => x.scorer === 'llm-rubric');
        expect(rubric?.reason).toBe('judge reply had no readable score');
      }
    } finally {
      db.close();
    }

    const change = join(root, 'changes/same.yaml');
    writeFileSync(
      change,
      readFileSync(change, 'utf8').replace('offline:\n', 'offline:\n  judge: support-v1\n'),
    );
    const spec = await runCli(['eval', 'same', '--dataset', 'pf.yaml', '--json'], root);
    expect(rubricWarnings(JSON.parse(spec.stdout) as { warnings: string[] })).toEqual([]);
  });

  it('refuses a judge that is not a variant (exit 2), on the command line and in the change', async () => {
    const root = await project();
    writeFileSync(join(root, 'pf.yaml'), PROMPTFOO);
    const flag = await runCli(['eval', 'same', '--dataset', 'pf.yaml', '--judge', 'nobody'], root);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('"nobody" is not a variant');
    const change = join(root, 'changes/same.yaml');
    writeFileSync(change, readFileSync(change, 'utf8').replace('offline:\n', 'offline:\n  judge: nobody\n'));
    const validate = await runCli(['validate'], root);
    expect(validate.code).toBe(2);
    expect(validate.stdout + validate.stderr).toMatch(/offline\.judge: .*nobody/);
  });
});

describe('ballast eval --dataset on promptfoo test files of their own', () => {
  it('reads a promptfoo CSV (by its __expected columns) and a bare YAML list of tests', async () => {
    const root = await project();
    writeFileSync(
      join(root, 'pf.csv'),
      'question,__expected\nHow do I reset my password?,icontains: settings\nWhere are invoices?,contains: Billing\n',
    );
    // A var named input under vars is promptfoo's, not a Ballast case's own input.
    writeFileSync(
      join(root, 'pf-list.yaml'),
      '- vars:\n    input: How do I reset my password?\n  assert:\n    - type: icontains\n      value: settings\n',
    );
    for (const [file, cases] of [
      ['pf.csv', 2],
      ['pf-list.yaml', 1],
    ] as const) {
      const run = await runCli(['eval', 'same', '--dataset', file, '--json'], root);
      expect(run.stderr).not.toContain('error');
      const report = JSON.parse(run.stdout) as { cases: unknown[]; datasets: { files: { cases: number }[] } };
      expect(report.cases).toHaveLength(cases);
    }
  });
});

describe('ballast eval and criteria on scorers that datasets define', () => {
  it('measures a criterion on a case assertion’s scorer; refuses one that nothing defines (exit 2)', async () => {
    const root = await project();
    const change = join(root, 'changes/same.yaml');
    const spec = readFileSync(change, 'utf8');
    writeFileSync(
      change,
      spec.replace(
        '  criteria:\n',
        '  criteria:\n    - { rule: non_inferior, scorer: says-settings, margin: 0.2 }\n',
      ),
    );
    const data = readFileSync(join(root, 'datasets/example.jsonl'), 'utf8').trim().split('\n');
    writeFileSync(
      join(root, 'with-assert.jsonl'),
      `${data
        .map((line) => {
          const c = JSON.parse(line) as Record<string, unknown>;
          return JSON.stringify({
            ...c,
            assert: [{ type: 'icontains', value: 'settings', name: 'says-settings' }],
          });
        })
        .join('\n')}\n`,
    );
    const validate = await runCli(['validate'], root);
    expect(validate.code).toBe(0);
    const measured = await runCli(['eval', 'same', '--dataset', 'with-assert.jsonl', '--json'], root);
    const report = JSON.parse(measured.stdout) as { criteria: { scorer?: string; reason?: string }[] };
    expect(JSON.stringify(report.criteria)).toContain('says-settings');
    expect(JSON.stringify(report.criteria)).not.toContain('no case has a value');

    const refused = await runCli(['eval', 'same'], root);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('criterion scorer "says-settings" is not the name of any scorer');
  });
});

describe('ballast eval --merge', () => {
  type Report = {
    runId: string;
    verdict: string;
    cases: { id: string }[];
    criteria: { name: string; status: string; estimate?: number; ci?: number[] }[];
    options: { merged?: string[] };
    warnings: string[];
  };
  const json = (stdout: string) => JSON.parse(stdout) as Report;

  it('gives the shards of a gate the verdict of one run over all their cases, without model calls', async () => {
    const root = await project();
    const whole = json((await runCli(['eval', 'same', '--json'], root)).stdout);
    const one = json((await runCli(['eval', 'same', '--shard', '1/2', '--json'], root)).stdout);
    const two = json((await runCli(['eval', 'same', '--shard', '2/2', '--json'], root)).stdout);
    expect(one.cases.length + two.cases.length).toBe(30);
    const run = await runCli(['eval', 'same', '--merge', `${one.runId},${two.runId}`, '--json'], root);
    expect(run.code).toBe(whole.verdict === 'pass' ? 0 : whole.verdict === 'fail' ? 1 : 4);
    const merged = json(run.stdout);
    expect(merged.options.merged).toEqual([one.runId, two.runId]);
    expect(merged.cases.map((c) => c.id).sort()).toEqual(whole.cases.map((c) => c.id).sort());
    expect(merged.verdict).toBe(whole.verdict);
    // The sim answers the same cases the same way, so the statistics are those of the whole run.
    expect(merged.criteria.map((c) => [c.name, c.status, c.estimate, c.ci])).toEqual(
      whole.criteria.map((c) => [c.name, c.status, c.estimate, c.ci]),
    );
    expect(merged.warnings).toEqual([]);
    // Stored like any run, with every row: it can be a --baseline-run.
    const db = new BetterSqlite3(join(root, '.ballast/ballast.db'), { readonly: true });
    try {
      const rows = db
        .prepare('select count(*) as n from eval_case_results where run_id = ?')
        .get(merged.runId) as {
        n: number;
      };
      expect(rows.n).toBe(60);
    } finally {
      db.close();
    }
    // Two of three shards: a warning says the verdict covers part of the data.
    const third = json((await runCli(['eval', 'same', '--shard', '1/3', '--json'], root)).stdout);
    const second = json((await runCli(['eval', 'same', '--shard', '2/3', '--json'], root)).stdout);
    const partial = json(
      (await runCli(['eval', 'same', '--merge', third.runId, '--merge', second.runId, '--json'], root))
        .stdout,
    );
    expect(partial.warnings.join(' ')).toMatch(/hold \d+ of the 30 cases/);
  });

  it('refuses what cannot be one gate (exit 2), and writes no run then', async () => {
    const root = await project();
    const one = json((await runCli(['eval', 'same', '--shard', '1/2', '--json'], root)).stdout);
    const whole = json((await runCli(['eval', 'same', '--json'], root)).stdout);
    const other = json((await runCli(['eval', 'near', '--shard', '2/2', '--json'], root)).stdout);
    const cases = [
      [['--merge', one.runId], 'at least two runs'],
      [['--merge', `${one.runId},${whole.runId}`], 'merge runs of disjoint cases'],
      [['--merge', `${one.runId},${other.runId}`], `evaluated change near, not same`],
      [['--merge', `${one.runId},run-nope`], 'no eval run run-nope'],
      [
        ['--merge', `${one.runId},${whole.runId}`, '--dataset', 'datasets/example.jsonl'],
        'cannot be combined with --dataset',
      ],
    ] as const;
    for (const [flags, message] of cases) {
      const run = await runCli(['eval', 'same', ...flags], root);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(message);
    }
    const db = new BetterSqlite3(join(root, '.ballast/ballast.db'), { readonly: true });
    try {
      expect((db.prepare('select count(*) as n from eval_runs').get() as { n: number }).n).toBe(3);
    } finally {
      db.close();
    }
  });
});

describe('ballast eval refuses bad scorers before calling any model', () => {
  it('exits 2 on a scorer value of the wrong shape and records no run', async () => {
    const root = await project();
    const change = join(root, 'changes/same.yaml');
    writeFileSync(
      change,
      readFileSync(change, 'utf8').replace(
        '    - { type: pii, name: no-pii }',
        '    - { type: pii, name: no-pii }\n    - { type: word-count, name: wc, value: { most: 5 } }',
      ),
    );
    const run = await runCli(['eval', 'same'], root);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('word-count');
    expect(run.stderr).not.toContain('--resume');
  });
});
