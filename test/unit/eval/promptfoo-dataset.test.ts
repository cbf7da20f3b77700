import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  isPromptfooConfigFile,
  parsePromptfooConfig,
  readPromptfooDataset,
} from '../../../src/adapters/files/promptfoo-dataset.js';
import { isBallastError } from '../../../src/core/errors.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/promptfoo/${name}`, import.meta.url));

describe('readPromptfooDataset on a promptfooconfig.yaml', async () => {
  const dataset = await readPromptfooDataset(fixture('promptfooconfig.yaml'), { judge: 'grader' });
  const warnings = dataset.diagnostics.filter((d) => d.severity === 'warning');

  it('reads every usable test as a case; list-valued vars multiply a test', () => {
    expect(dataset.format).toBe('promptfoo');
    expect(dataset.hash).toMatch(/^[0-9a-f]{16}$/);
    expect(dataset.cases).toHaveLength(4);
    expect(dataset.cases.map((c) => c.input)).toEqual([
      'How do I change my e-mail address?',
      'Where are invoices?',
      'refunds',
      'refunds',
    ]);
    expect(dataset.cases.slice(2).map((c) => c.vars.language)).toEqual(['English', 'French']);
    expect(new Set(dataset.cases.map((c) => c.id)).size).toBe(4);
  });

  it('vars: defaults merged in, the question var is the input, reference is the reference', () => {
    const [first] = dataset.cases;
    expect(first).toMatchObject({
      input: 'How do I change my e-mail address?',
      reference: 'Settings > Profile > Email',
      vars: {
        question: 'How do I change my e-mail address?',
        reference: 'Settings > Profile > Email',
        product: 'Acme',
      },
      tags: ['account', 'critical'],
      metadata: { description: 'change e-mail', promptfoo: { test: 0 } },
    });
    expect(first!.line).toBe(18);
  });

  it('maps assertions to scorer specs on each case', () => {
    expect(dataset.cases[0]!.assert).toEqual([
      { type: 'icontains', value: '{{reference}}', weight: 2, name: 'mentions-path', threshold: 0.5 },
      { type: 'levenshtein', value: 'Settings > Profile > Email', threshold: 1 - 5 / 26, weight: 1 },
    ]);
    expect((dataset.cases[1]!.assert as { type: string }[]).map((a) => a.type)).toEqual([
      'contains-any',
      'not-is-json',
      'json-schema',
      'llm-rubric',
      'max-cost',
      'not-refusal',
      'regex',
      'starts-with',
      'contains-all',
      'equals',
    ]);
    expect(dataset.cases[2]!.assert).toEqual([
      { type: 'contains', value: '{{topic}}', threshold: 1, weight: 1 },
    ]);
  });

  it('defaultTest assertions become the dataset’s scorers', () => {
    expect(dataset.scorers).toEqual([
      { type: 'not-icontains', value: 'as an ai', threshold: 0.5, weight: 1 },
      { type: 'max-latency', value: 3000, threshold: 0.5, weight: 1 },
    ]);
  });

  it('warns, naming type and test, about each thing it skipped', () => {
    const text = warnings.map((d) => `${d.path}: ${d.message}`);
    expect(text).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^tests\[0\]\.assert\[2\]: promptfoo assertion "javascript" \(tests\[0\]\.assert\[2\]\) is not supported/,
        ),
        expect.stringMatching(/^tests\[1\]\.assert\[3\]: .*"similar"/),
        expect.stringMatching(/^tests\[1\]\.assert\[11\]: .*"assert-set"/),
        expect.stringMatching(/^tests\[3\]\.options: tests\[3\]\.options is not supported/),
        expect.stringMatching(/^tests\[3\]: tests\[3\] has no vars of its own/),
        expect.stringMatching(/^prompts: prompts and providers are not imported/),
      ]),
    );
    expect(dataset.warnings).toHaveLength(warnings.length);
    expect(dataset.warnings?.[0]).toMatch(/promptfooconfig\.yaml:\d+:1: /);
  });

  it('locates an assertion message at the assertion’s line', () => {
    expect(warnings.find((d) => d.path === 'tests[0].assert[2]')?.line).toBe(32);
  });

  it('without a judge, llm-rubric is skipped with a message', async () => {
    const noJudge = await readPromptfooDataset(fixture('promptfooconfig.yaml'));
    expect((noJudge.cases[1]!.assert as { type: string }[]).map((a) => a.type)).not.toContain('llm-rubric');
    expect(
      noJudge.diagnostics.some((d) => d.path === 'tests[1].assert[4]' && d.message.includes('needs a judge')),
    ).toBe(true);
  });
});

describe('tests kept in other files', () => {
  it('tests: file://tests.csv says to pass that file directly', async () => {
    try {
      await readPromptfooDataset(fixture('tests-in-file.yaml'));
      expect.unreachable();
    } catch (error) {
      expect(isBallastError(error) && error.code).toBe('BALLAST_ERR_DATASET');
      expect((error as Error).message).toContain(
        'tests are read from file://tests.csv: pass that file directly with --dataset tests.csv',
      );
    }
  });

  it('a file that is a bare list of tests reads like tests:', async () => {
    const dataset = await readPromptfooDataset(fixture('tests-list.yaml'));
    expect(dataset.cases.map((c) => c.input)).toEqual(['What is 2 + 2?', 'Name a primary colour.']);
    expect(dataset.cases[1]!.assert).toEqual([
      { type: 'contains-any', value: ['red', 'blue', 'yellow'], threshold: 0.5, weight: 1 },
    ]);
    expect(dataset.diagnostics).toEqual([]);
  });

  it('globs and lists of files are reported per entry', () => {
    const parsed = parsePromptfooConfig('tests:\n  - file://a/*.yaml\n  - file://b.yaml\n', 'x.yaml');
    expect(parsed.diagnostics.map((d) => [d.path, d.severity])).toEqual([
      ['tests[0]', 'error'],
      ['tests[1]', 'error'],
    ]);
    expect(parsed.diagnostics[0]!.message).toContain('does not expand globs');
  });
});

describe('parsePromptfooConfig problems', () => {
  it('reports YAML syntax errors with their position', () => {
    const parsed = parsePromptfooConfig('tests:\n  - vars: [\n', 'bad.yaml');
    expect(parsed.diagnostics[0]).toMatchObject({ file: 'bad.yaml', severity: 'error' });
    expect(parsed.diagnostics[0]!.message).toContain('YAML syntax error');
  });

  it('a config without tests is an error', () => {
    expect(parsePromptfooConfig('prompts: [hi]\n', 'p.yaml').diagnostics.map((d) => d.message)).toContain(
      'the config has no tests:',
    );
  });

  it('defaultTest from a file is an error: its assertions would be missing', () => {
    const parsed = parsePromptfooConfig(
      'defaultTest: file://default.yaml\ntests:\n  - vars: {q: hi}\n',
      'p.yaml',
    );
    expect(parsed.diagnostics.find((d) => d.path === 'defaultTest')?.severity).toBe('error');
  });

  it('non-string vars are JSON text; file:// vars are flagged', () => {
    const parsed = parsePromptfooConfig(
      'tests:\n  - vars: {question: hi, n: 3, doc: "file://doc.txt"}\n',
      'p.yaml',
    );
    expect(parsed.cases[0]!.vars).toEqual({ question: 'hi', n: '3', doc: 'file://doc.txt' });
    expect(parsed.diagnostics.some((d) => d.path === 'tests[0].vars.doc')).toBe(true);
  });

  it('the first var is the input when none has a conventional name', () => {
    expect(
      parsePromptfooConfig('tests:\n  - vars: {text: hello, lang: fr}\n', 'p.yaml').cases[0]!.input,
    ).toBe('hello');
  });

  it('identical tests get distinct ids', () => {
    const parsed = parsePromptfooConfig('tests:\n  - vars: {q: hi}\n  - vars: {q: hi}\n', 'p.yaml');
    const [a, b] = parsed.cases;
    expect(b!.id).toBe(`${a!.id}-2`);
  });
});

describe('isPromptfooConfigFile', () => {
  it('recognises the conventional names', () => {
    expect(isPromptfooConfigFile('/x/promptfooconfig.yaml')).toBe(true);
    expect(isPromptfooConfigFile('promptfooconfig.yml')).toBe(true);
    expect(isPromptfooConfigFile('cases.yaml')).toBe(false);
  });
});
