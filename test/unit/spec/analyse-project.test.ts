import { describe, expect, it } from 'vitest';
import { analyse, initFiles, lines } from '../../support/memory-project.js';

const CHANGE = 'changes/example.yaml';

function withChange(edit: (text: string) => string) {
  const files = initFiles();
  files[CHANGE] = edit(files[CHANGE] as string);
  return files;
}

describe('the project ballast init writes', () => {
  it('is valid with no warnings, and its defaults are filled in', () => {
    const result = analyse(initFiles());
    expect(lines(result)).toEqual([]);
    expect(result.ok).toBe(true);
    const project = result.project!;
    expect(project.store).toBe('sqlite:.ballast/ballast.db');
    expect(project.providers.sim).toMatchObject({ type: 'sim', seed: 42, maxConcurrency: 256, retries: 2 });
    expect(project.variants['support-v2']?.sim.ttft).toEqual({ median_ms: 150, p95_ms: 500 });
    const spec = result.changes[0]!.spec;
    expect(spec.rollout.stages.map((s) => s.percent)).toEqual([5, 25, 50, 100]);
    expect(spec.rollout.stages[1]).toMatchObject({ min_duration: 1_800_000, max_duration: 86_400_000 });
    expect(spec.metrics.guardrails[0]).toEqual({
      metric: 'error_rate',
      tolerance: { kind: 'absolute', value: 0.005 },
    });
    expect(spec.metrics.guardrails[1]).toMatchObject({ metric: 'slow_rate', threshold_ms: 2000 });
  });

  it('is frozen after parsing', () => {
    const result = analyse(initFiles());
    expect(Object.isFrozen(result.project)).toBe(true);
    expect(Object.isFrozen(result.changes[0]!.spec.rollout.stages[0])).toBe(true);
    expect(() => {
      (result.project as { store: string }).store = 'x';
    }).toThrow(TypeError);
  });

  it('fills a minimal change spec with defaults', () => {
    const files = initFiles();
    files[CHANGE] =
      'id: example\ntitle: t\nhypothesis: h\nowner: o\nroute: support-chat\ncandidate: support-v2\nrisk: low\n';
    const result = analyse(files);
    expect(lines(result)).toEqual([]);
    const spec = result.changes[0]!.spec;
    expect(spec.rollout).toMatchObject({
      alpha: 0.05,
      auto_advance: true,
      auto_rollback: true,
      auto_promote: false,
    });
    expect(spec.rollout.stages).toHaveLength(4);
    expect(spec.metrics.guardrails).toEqual([
      { metric: 'error_rate', tolerance: { kind: 'absolute', value: 0 } },
    ]);
    expect(spec.offline).toMatchObject({ repeats: 1, datasets: [], alpha: 0.05 });
  });
});

describe('diagnostics point at the place, and every problem is reported in one run', () => {
  it('reports unknown keys at the key with a suggestion', () => {
    const result = analyse(withChange((t) => t.replace('  auto_rollback: true', '  auto_rollbak: true')));
    expect(result.ok).toBe(false);
    expect(lines(result)).toEqual([
      'changes/example.yaml:48:3: rollout.auto_rollbak: unknown key (did you mean "auto_rollback"?)',
    ]);
  });

  it('suggests keys inside lists and inside the chosen provider type', () => {
    const files = initFiles();
    files['ballast.yaml'] = (files['ballast.yaml'] as string).replace('    seed: 42', '    sede: 42');
    files[CHANGE] = (files[CHANGE] as string).replace(
      '    - { percent: 25, min_units',
      '    - { percnt: 25, min_units',
    );
    const out = lines(analyse(files));
    expect(out).toContain('ballast.yaml:13:5: providers.sim.sede: unknown key (did you mean "seed"?)');
    expect(out).toContain(
      'changes/example.yaml:43:9: rollout.stages[1].percnt: unknown key (did you mean "percent"?)',
    );
    expect(out).toContain('changes/example.yaml:43:7: rollout.stages[1].percent: is required (number)');
  });

  it('collects problems from several files and fields at once', () => {
    const files = withChange((t) =>
      t
        .replace('risk: medium', 'risk: medum')
        .replace('percent: 50,', 'percent: 20,')
        .replace('min_duration: 30m', 'min_duration: 30 minutes')
        .replace('alpha: 0.05', 'alpha: high'),
    );
    const out = lines(analyse(files));
    expect(out).toEqual([
      'changes/example.yaml:11:7: risk: expected one of low, medium, high, got "medum" (did you mean "medium"?)',
      'changes/example.yaml:43:52: rollout.stages[1].min_duration: expected a duration such as 30s, 10m, 2h or 7d',
      'changes/example.yaml:46:10: rollout.alpha: expected number, got string "high"',
    ]);
  });

  it('checks that stage percents strictly increase within (0, 100]', () => {
    const out = lines(
      analyse(
        withChange((t) =>
          t.replace('percent: 50,', 'percent: 20,').replace('percent: 100,', 'percent: 120,'),
        ),
      ),
    );
    expect(out).toEqual([
      'changes/example.yaml:44:18: rollout.stages[2].percent: stage percents must strictly increase (25 then 20)',
      'changes/example.yaml:45:18: rollout.stages[3].percent: must be at most 100',
    ]);
  });

  it('points YAML syntax errors at their position', () => {
    const files = initFiles();
    files['ballast.yaml'] = 'store: sqlite:x.db\nproviders:\n  sim: { type: sim\n';
    const out = lines(analyse(files));
    expect(out).toEqual([
      'ballast.yaml:4:1: : YAML syntax error: Flow map in block collection must be sufficiently indented and end with a }',
    ]);
  });

  it('names the provider types when type is wrong', () => {
    const files = initFiles();
    files['ballast.yaml'] = (files['ballast.yaml'] as string).replace('type: sim', 'type: simm');
    expect(lines(analyse(files))).toEqual([
      'ballast.yaml:12:11: providers.sim.type: unknown value "simm"; expected one of openai, anthropic, sim (did you mean "sim"?)',
    ]);
  });

  it('refuses duplicate keys', () => {
    const files = initFiles();
    files['ballast.yaml'] = `${files['ballast.yaml']}\nstore: sqlite:other.db\n`;
    expect(lines(analyse(files))).toContain(
      'ballast.yaml:67:1: : duplicate key: each key may appear once in a mapping',
    );
  });

  it('gives empty, binary, non-UTF-8 and oversized files a clear message', () => {
    const cases: [string | Uint8Array, string][] = [
      ['', 'file is empty'],
      ['# only a comment\n\n', 'file is empty'],
      [new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 1]), 'file is binary (it contains NUL bytes), not YAML'],
      [new Uint8Array([0x69, 0x64, 0x3a, 0x20, 0xff, 0xfe]), 'file is not valid UTF-8 text'],
      [`a: "${'x'.repeat(5 * 1024 * 1024)}"`, 'file is 5.0 MB; the limit is 5 MB'],
      ['- a\n- b\n', 'expected a mapping of keys to values at the top'],
    ];
    for (const [content, message] of cases) {
      const files = initFiles();
      files[CHANGE] = content;
      const result = analyse(files);
      expect(result.ok).toBe(false);
      expect(result.diagnostics.map((d) => d.message)).toEqual([message]);
    }
  });
});

describe('cross-checks', () => {
  it('finds references that do not resolve, with suggestions', () => {
    const files = withChange((t) =>
      t
        .replace('route: support-chat', 'route: support-chta')
        .replace('datasets: [datasets/example.jsonl]', 'datasets: [datasets/missing.jsonl]'),
    );
    files['ballast.yaml'] = (files['ballast.yaml'] as string).replace(
      'provider: sim\n    model: sim-small',
      'provider: smi\n    model: sim-small',
    );
    expect(lines(analyse(files))).toEqual([
      'ballast.yaml:37:15: variants.support-v2.provider: provider "smi" is not defined (did you mean "sim"?)',
      'changes/example.yaml:9:8: route: route "support-chta" is not defined (did you mean "support-chat"?)',
      'changes/example.yaml:29:14: offline.datasets[0]: dataset file "datasets/missing.jsonl" does not exist',
    ]);
  });

  it('refuses a candidate that is already the stable variant, and unknown variants', () => {
    expect(
      lines(analyse(withChange((t) => t.replace('candidate: support-v2', 'candidate: support-v1')))),
    ).toEqual([
      'changes/example.yaml:10:12: candidate: "support-v1" is already the stable variant of route "support-chat"; a change needs a different candidate',
    ]);
    expect(
      lines(analyse(withChange((t) => t.replace('candidate: support-v2', 'candidate: support-v3')))),
    ).toEqual([
      'changes/example.yaml:10:12: candidate: variant "support-v3" is not defined (did you mean "support-v1"?)',
    ]);
  });

  it('requires unique slug-shaped ids and warns when the id differs from the file name', () => {
    const files = initFiles();
    files['changes/copy.yaml'] = files[CHANGE] as string;
    files['changes/bad.yaml'] = (files[CHANGE] as string).replace('id: example', 'id: Bad_ID');
    const out = lines(analyse(files));
    expect(out).toContain(
      'changes/bad.yaml:3:5: id: must be a slug: lowercase letters, digits and single hyphens (e.g. "concise-prompt")',
    );
    expect(out).toContain('changes/example.yaml:3:5: id: id "example" is also used by changes/copy.yaml');
    expect(out).toContain('changes/copy.yaml:3:5: id: id "example" differs from the file name "copy"');
  });

  it('checks criteria name defined scorers and prompt files exist', () => {
    const files = withChange((t) => t.replace('scorer: close-to-reference', 'scorer: close-to-ref'));
    delete files['prompts/support-v2.md'];
    expect(lines(analyse(files))).toEqual([
      'ballast.yaml:39:13: variants.support-v2.system: prompt file "prompts/support-v2.md" does not exist',
      'changes/example.yaml:36:37: offline.criteria[0].scorer: scorer "close-to-ref" is not defined in offline.scorers; ballast eval looks for it among the datasets\' assertions (did you mean "close-to-reference"?)',
    ]);
    // A warning: a dataset's own assertions may name it (ballast eval refuses the run if none does).
    const criterion = analyse(files).diagnostics.find((d) => d.path === 'offline.criteria[0].scorer');
    expect(criterion?.severity).toBe('warning');
  });
});

describe('environment variables', () => {
  const project = (extra: string) => `providers:\n  openai:\n    type: openai\n${extra}\n`;

  it('substitutes ${VAR} and ${VAR:-default}, and types a whole plain reference', () => {
    const files = {
      'ballast.yaml': `${project('    apiKey: ${OPENAI_KEY}\n    baseUrl: ${BASE:-http://127.0.0.1:9000/v1}\n    retries: ${RETRIES}')}server:\n  port: \${PORT:-9999}\n`,
    };
    const result = analyse(files, { OPENAI_KEY: 'sk-test', RETRIES: '5' });
    expect(lines(result)).toEqual([]);
    expect(result.project!.providers.openai).toMatchObject({
      apiKey: 'sk-test',
      baseUrl: 'http://127.0.0.1:9000/v1',
      retries: 5,
    });
    expect(result.project!.server.port).toBe(9999);
  });

  it('names an unset variable and where it is used', () => {
    const result = analyse({ 'ballast.yaml': project('    apiKey: ${OPENAI_API_KEY}') });
    expect(lines(result)).toEqual([
      'ballast.yaml:4:13: providers.openai.apiKey: environment variable OPENAI_API_KEY is not set (used as "${OPENAI_API_KEY}")',
    ]);
  });

  it('keeps $${ as a literal', () => {
    const result = analyse({ 'ballast.yaml': project('    headers: { x-template: "$${not_a_var}" }') });
    expect(lines(result)).toEqual([]);
    expect(result.project!.providers.openai).toMatchObject({ headers: { 'x-template': '${not_a_var}' } });
  });
});

describe('rules found in review', () => {
  it('keeps a digits-only secret a string but reads a whole ${VAR} as a number where one is wanted', () => {
    const files = {
      'ballast.yaml':
        'providers:\n  openai:\n    type: openai\n    apiKey: ${KEY}\n    retries: ${RETRIES}\nserver:\n  port: ${PORT}\n',
    };
    const result = analyse(files, { KEY: '0012345', RETRIES: '3', PORT: '8080' });
    expect(lines(result)).toEqual([]);
    expect(result.project!.providers.openai).toMatchObject({ apiKey: '0012345', retries: 3 });
    expect(result.project!.server.port).toBe(8080);
    const literal = analyse({ 'ballast.yaml': 'version: ${V}\nstore: "${DB:-sqlite:x.db}"\n' }, { V: '1' });
    expect(lines(literal)).toEqual([]);
    expect(literal.project).toMatchObject({ version: 1, store: 'sqlite:x.db' });
    expect(lines(analyse(files, { KEY: 'k', RETRIES: 'many', PORT: '1' }))).toEqual([
      'ballast.yaml:5:14: providers.openai.retries: expected number, got string "many"',
    ]);
  });

  it('requires what each scorer type and guardrail check needs', () => {
    const files = withChange((t) =>
      t.replace(
        '    - { type: pii, name: no-pii }',
        '    - { type: pii, name: no-pii }\n    - { type: llm-rubric, name: judge }\n    - { type: not-regex, name: rx, value: "(" }\n    - { type: custom, name: mine }',
      ),
    );
    files['ballast.yaml'] = (files['ballast.yaml'] as string).replace(
      '{ check: length, max_chars: 20000, action: block }',
      '{ check: length }',
    );
    const out = lines(analyse(files));
    expect(out).toEqual([
      'ballast.yaml:57:9: guardrails.default.input[1].max_chars: check: length needs max_chars',
      'changes/example.yaml:35:7: offline.scorers[3].judge: llm-rubric needs judge: the variant that judges',
      'changes/example.yaml:35:7: offline.scorers[3].rubric: llm-rubric needs rubric: what a good answer does',
      'changes/example.yaml:36:43: offline.scorers[4].value: not a valid regular expression: Invalid regular expression: /(/: Unterminated group',
      'changes/example.yaml:37:7: offline.scorers[5].module: custom needs module: the path of a module exporting the scorer',
    ]);
  });

  it('explains bad names, unknown error kinds and store URLs in words', () => {
    const files = initFiles();
    files['ballast.yaml'] = (files['ballast.yaml'] as string)
      .replace('  support-chat:\n    stable', '  "support chat":\n    stable')
      .replace(
        '      error_rate: 0.01\n  support-v2',
        '      error_rate: { timeout: 0.01, timout: 0.02 }\n  support-v2',
      )
      .replace('store: sqlite:.ballast/ballast.db', 'store: sqlite://x.db');
    const out = lines(analyse(files));
    expect(out).toContain(
      'ballast.yaml:4:8: store: expected sqlite:PATH or postgres://USER@HOST/DB[?schema=NAME]',
    );
    expect(out).toContain(
      'ballast.yaml:35:36: variants.support-v1.sim.error_rate.timout: unknown key (did you mean "timeout"?)',
    );
    expect(out).toContain(
      'ballast.yaml:50:3: routes["support chat"]: the name "support chat" must start with a letter or digit and use only letters, digits, ".", "_", ":" and "-"',
    );
  });

  it('defaults a p95 from the median when only the median is given', () => {
    const files = initFiles();
    files['ballast.yaml'] = (files['ballast.yaml'] as string).replace(
      'latency: { median_ms: 420, p95_ms: 1300 }',
      'latency: { median_ms: 2000 }',
    );
    const result = analyse(files);
    expect(lines(result)).toEqual([]);
    expect(result.project!.variants['support-v1']!.sim.latency).toEqual({ median_ms: 2000, p95_ms: 6000 });
  });
});
