import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  isPromptfooConfigFile,
  parsePromptfooConfig,
  readPromptfooDataset,
} from '../../../src/adapters/files/promptfoo-dataset.js';
import { isBallastError } from '../../../src/core/errors.js';
import { assertionFromCsvCell, testFromCsvRow } from '../../../src/core/eval/scorers/from-promptfoo-csv.js';

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
  it('tests: file://tests.csv reads the CSV: columns are vars, __expected columns assertions', async () => {
    const dataset = await readPromptfooDataset(fixture('tests-in-file.yaml'), { judge: 'grader' });
    expect(dataset.cases.map((c) => c.input)).toEqual([
      'What is the capital of France?',
      'Name two primary colours, please',
      'How fast?',
      'Exactly this',
    ]);
    const [capital, colours, fast, exact] = dataset.cases;
    expect(capital).toMatchObject({
      reference: 'Paris',
      tags: ['geo', 'critical'],
      metadata: { description: 'capital', promptfoo: { test: 0, file: 'tests.csv', row: 1 } },
      line: 2,
    });
    expect(capital!.assert).toEqual([
      { type: 'contains', value: 'Paris', threshold: 0.5, weight: 1 },
      { type: 'not-icontains', value: 'sorry', threshold: 0.5, weight: 1 },
    ]);
    expect(colours!.assert).toEqual([
      { type: 'contains-any', value: ['red', 'blue', 'yellow'], threshold: 0.5, weight: 1 },
      { type: 'levenshtein', value: 'red and blue', threshold: 1 - 3 / 12, weight: 1 },
    ]);
    expect(fast!.assert).toEqual([
      { type: 'max-latency', value: 500, threshold: 0.5, weight: 1 },
      { type: 'llm-rubric', rubric: 'Answers with a number', judge: 'grader', threshold: 0.5, weight: 1 },
    ]);
    expect(exact!.assert).toEqual([{ type: 'equals', value: 'Exactly this', threshold: 0.5, weight: 1 }]);
    // The one unsupported column is named, with its file and line.
    const warnings = dataset.diagnostics.filter((d) => d.message.includes('__prefix'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ line: 3, severity: 'warning' });
    expect(warnings[0]!.file).toMatch(/tests\.csv$/);
  });

  it('reads CSV, YAML (globs included) and JSON Lines files next to inline tests, in order', async () => {
    const dataset = await readPromptfooDataset(fixture('tests-in-files.yaml'));
    expect(dataset.cases.map((c) => c.input)).toEqual([
      'What is the capital of France?',
      'Name two primary colours, please',
      'How fast?',
      'Exactly this',
      'From a.yaml',
      'From b.yaml',
      'From JSON Lines',
      'Second line',
      'Inline',
    ]);
    expect(dataset.cases[4]).toMatchObject({
      metadata: { promptfoo: { test: 1, file: 'more/a.yaml', index: 0 } },
      line: 1,
      assert: [{ type: 'icontains', value: 'a' }],
    });
    expect(dataset.cases[7]).toMatchObject({
      metadata: { promptfoo: { test: 2, file: 'tests.jsonl' } },
      line: 3,
    });
    expect(dataset.cases[8]!.metadata).toMatchObject({ promptfoo: { test: 3 } });
  });

  it('a reference that matches no file, or cannot be read, is an error naming it', async () => {
    try {
      await readPromptfooDataset(fixture('tests-missing.yaml'));
      expect.unreachable();
    } catch (error) {
      expect(isBallastError(error) && error.code).toBe('BALLAST_ERR_DATASET');
      expect((error as Error).message).toContain('file://nowhere.csv, which cannot be read');
      expect((error as Error).message).toContain('file://none/*.yaml, which matches no file');
    }
  });

  it('the referenced files are part of the dataset hash', () => {
    const config = 'tests: file://t.yaml\n';
    const files = (text: string) => new Map([['file://t.yaml', [{ file: '/x/t.yaml', text }]]]);
    const a = parsePromptfooConfig(config, 'x.yaml', {}, files('- vars: { q: one }\n'));
    const b = parsePromptfooConfig(config, 'x.yaml', {}, files('- vars: { q: two }\n'));
    expect(a.cases.map((c) => c.input)).toEqual(['one']);
    expect(a.hash).not.toBe(b.hash);
  });

  it('a JSON Lines test file reports a line that is not JSON, or not a test, by file and line', () => {
    const files = new Map([
      ['file://t.jsonl', [{ file: '/x/t.jsonl', text: '{"vars":{"q":"one"}}\r\n\r\n{oops\n[1]\n' }]],
    ]);
    const parsed = parsePromptfooConfig('tests: file://t.jsonl\n', 'x.yaml', {}, files);
    expect(parsed.cases.map((c) => c.input)).toEqual(['one']);
    expect(parsed.diagnostics.map((d) => [d.file, d.line, d.path, d.severity])).toEqual([
      ['/x/t.jsonl', 3, 't.jsonl line 3', 'error'],
      ['/x/t.jsonl', 4, 't.jsonl line 4', 'error'],
    ]);
    expect(parsed.diagnostics[0]!.message).toContain('invalid JSON');
    expect(parsed.diagnostics[1]!.message).toContain('expected a test');
  });

  it('a file that is a bare list of tests reads like tests:', async () => {
    const dataset = await readPromptfooDataset(fixture('tests-list.yaml'));
    expect(dataset.cases.map((c) => c.input)).toEqual(['What is 2 + 2?', 'Name a primary colour.']);
    expect(dataset.cases[1]!.assert).toEqual([
      { type: 'contains-any', value: ['red', 'blue', 'yellow'], threshold: 0.5, weight: 1 },
    ]);
    expect(dataset.diagnostics).toEqual([]);
  });

  it('without the files read, each reference is an error of its own', () => {
    const parsed = parsePromptfooConfig('tests:\n  - file://a/*.yaml\n  - file://b.yaml\n', 'x.yaml');
    expect(parsed.diagnostics.map((d) => [d.path, d.severity])).toEqual([
      ['tests[0]', 'error'],
      ['tests[1]', 'error'],
    ]);
    expect(parsed.diagnostics[0]!.message).toContain('was not loaded');
  });
});

describe('promptfoo CSV assertion cells', () => {
  it.each([
    ['contains: Paris', { type: 'contains', value: 'Paris' }],
    ['not-icontains:sorry', { type: 'not-icontains', value: 'sorry' }],
    ['icontains-all: a, b ,c', { type: 'icontains-all', value: ['a', 'b', 'c'] }],
    ['levenshtein(3): Paris', { type: 'levenshtein', value: 'Paris', threshold: 3 }],
    ['latency(1500)', { type: 'latency', threshold: 1500 }],
    ['cost(0.002)', { type: 'cost', threshold: 0.002 }],
    ['is-json', { type: 'is-json' }],
    ['not-is-refusal', { type: 'not-is-refusal' }],
    ['grade: is polite', { type: 'llm-rubric', value: 'is polite' }],
    ['llm-rubric: is polite', { type: 'llm-rubric', value: 'is polite' }],
    ['javascript: output.length < 9', { type: 'javascript', value: 'output.length < 9' }],
    ['fn: 1', { type: 'javascript', value: '1' }],
    ['Paris: the capital', { type: 'equals', value: 'Paris: the capital' }],
    ['  Paris ', { type: 'equals', value: '  Paris ' }],
    ['contains-anything: x', { type: 'equals', value: 'contains-anything: x' }],
  ])('%s', (cell, expected) => {
    expect(assertionFromCsvCell(cell)).toEqual(expected);
  });

  it('__metric names every assertion of the row; empty cells add nothing', () => {
    const { test, ignored } = testFromCsvRow({
      question: 'q',
      __expected: 'contains: a',
      __expected2: '',
      __metric: 'accuracy',
      __threshold: '0.5',
    });
    expect(test).toEqual({
      vars: { question: 'q' },
      assert: [{ type: 'contains', value: 'a', metric: 'accuracy' }],
    });
    expect(ignored).toEqual(['__threshold']);
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
