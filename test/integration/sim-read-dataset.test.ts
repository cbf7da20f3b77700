import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  datasetFormatOf,
  knowledgeFromCases,
  parseDataset,
  readDataset,
} from '../../src/adapters/files/read-dataset.js';
import { INIT_TEMPLATES } from '../../src/app/project/init-templates.js';
import { isBallastError } from '../../src/core/errors.js';
import { normaliseQuestion } from '../../src/core/sim/sim-text.js';
import { tempDir } from '../support/run-cli.js';

function write(name: string, content: string): string {
  const dir = tempDir('ballast-dataset-');
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  return path;
}

async function problems(path: string): Promise<string> {
  try {
    await readDataset(path);
  } catch (error) {
    if (isBallastError(error)) return `${error.code} ${error.message}`;
    throw error;
  }
  throw new Error('expected readDataset to fail');
}

const EXAMPLE = INIT_TEMPLATES.find((t) => t.path === 'datasets/example.jsonl')!.content;

describe('readDataset', () => {
  it('reads the example JSONL dataset', async () => {
    const dataset = await readDataset(write('datasets/example.jsonl', EXAMPLE));
    expect(dataset.format).toBe('jsonl');
    expect(dataset.hash).toMatch(/^[0-9a-f]{16}$/);
    expect(dataset.cases).toHaveLength(30);
    expect(dataset.cases[0]).toEqual({
      id: 'reset-password',
      input: 'How do I reset my password?',
      reference: 'Open Settings > Security and choose Reset password; a link is emailed to you.',
      tags: ['account', 'critical'],
      vars: {},
      line: 1,
    });
  });

  it('reads multi-turn cases, vars, assertions, repeats and keeps unknown keys as metadata', async () => {
    const line = JSON.stringify({
      input: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Where is my data stored?' },
      ],
      reference: 'In the EU.',
      vars: { lang: 'en', n: 3 },
      assert: [{ type: 'icontains', value: 'EU' }],
      repeats: 2,
      owner: 'data-team',
    });
    const [c] = (await readDataset(write('multi.jsonl', `\n${line}\n\n`))).cases;
    expect(c).toMatchObject({
      input: [{ role: 'system' }, { role: 'user', content: 'Where is my data stored?' }],
      vars: { lang: 'en', n: '3' },
      assert: [{ type: 'icontains', value: 'EU' }],
      repeats: 2,
      metadata: { owner: 'data-team' },
      line: 2,
    });
    // No id: a short content hash, the same on every read.
    expect(c?.id).toMatch(/^[0-9a-f]{12}$/);
    expect((await readDataset(write('again.jsonl', line))).cases[0]?.id).toBe(c?.id);
  });

  it('reports bad JSONL lines as file:line', async () => {
    const path = write(
      'bad.jsonl',
      '{"input": "ok"}\n{"input": \n{"reference": "no input"}\n[1,2]\n{"input": "ok"}\n',
    );
    const message = await problems(path);
    expect(message).toMatch(/^BALLAST_ERR_DATASET /);
    expect(message).toContain(`${path}:2:1: invalid JSON`);
    expect(message).toContain(`${path}:3:1: input: expected a string or a non-empty list of messages`);
    expect(message).toContain(`${path}:4:1: expected a case`);
    expect(message).toContain(`${path}:5:1: id: duplicate id`);
  });

  it('reads CSV with a header row: tags split on | or ,, other columns are vars', async () => {
    const csv = [
      'id,input,reference,tags,lang',
      'a,How do I reset my password?,"Settings > Security, then Reset",account|critical,en',
      'b,"Multi-line',
      'question?",,"billing, team",fr',
    ].join('\n');
    const dataset = await readDataset(write('cases.csv', csv));
    expect(dataset.format).toBe('csv');
    expect(dataset.cases).toEqual([
      {
        id: 'a',
        input: 'How do I reset my password?',
        reference: 'Settings > Security, then Reset',
        tags: ['account', 'critical'],
        vars: { lang: 'en' },
        line: 2,
      },
      { id: 'b', input: 'Multi-line\nquestion?', tags: ['billing', 'team'], vars: { lang: 'fr' }, line: 3 },
    ]);
  });

  it('reports a malformed CSV with its line', async () => {
    const path = write('bad.csv', 'id,input\na,"unterminated\nb,fine\n');
    expect(await problems(path)).toMatch(/invalid CSV/);
    expect(await problems(write('cols.csv', 'id,input\na,b,c\n'))).toMatch(/cols\.csv:2:1: invalid CSV/);
  });

  it('reads YAML as a list of cases or a mapping with cases:, with lines', async () => {
    const list = await readDataset(write('cases.yaml', '- input: Hi\n  tags: [a]\n- id: 7\n  input: Bye\n'));
    expect(list.cases.map((c) => [c.id, c.input, c.tags, c.line])).toEqual([
      [expect.stringMatching(/^[0-9a-f]{12}$/), 'Hi', ['a'], 1],
      ['7', 'Bye', [], 3],
    ]);
    const mapping = await readDataset(
      write('cases.yml', 'description: x\ncases:\n  - input: Hi\n    reference: 42\n'),
    );
    expect(mapping.cases[0]).toMatchObject({ input: 'Hi', reference: '42', line: 3 });
    const bad = write('bad.yaml', 'cases:\n  - input: Hi\n  - input: [{role: robot, content: x}]\n');
    expect(await problems(bad)).toContain(`${bad}:3:1: input[0].role: expected one of`);
    expect(await problems(write('syntax.yaml', 'cases: [\n'))).toMatch(/YAML syntax error/);
    expect(await problems(write('scalar.yaml', 'just text\n'))).toMatch(/expected a list of cases/);
  });

  it('refuses unknown extensions, missing files and empty datasets', async () => {
    expect(datasetFormatOf('x.ndjson')).toBe('jsonl');
    expect(datasetFormatOf('x.txt')).toBeUndefined();
    expect(await problems(write('x.txt', ''))).toMatch(/unknown dataset format/);
    expect(await problems(join(tempDir(), 'missing.jsonl'))).toMatch(
      /^BALLAST_ERR_IO .*cannot read the dataset/,
    );
    expect(await problems(write('empty.jsonl', '\n\n'))).toMatch(/no cases/);
  });

  it('hashes content, not line endings', () => {
    const lf = parseDataset('{"input":"a"}\n{"input":"b"}\n', 'x.jsonl');
    const crlf = parseDataset('{"input":"a"}\r\n{"input":"b"}\r\n', 'x.jsonl');
    expect(crlf.hash).toBe(lf.hash);
    expect(parseDataset('{"input":"c"}\n', 'x.jsonl').hash).not.toBe(lf.hash);
  });

  it('cuts JSONL lines at LF or CRLF, skips blank ones and numbers the rest as written', () => {
    const parsed = parseDataset('\n{"input":"a"}\r\n  \r\n{"input":"b"}\n\n{"input":"c"}', 'x.jsonl');
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.cases.map((c) => [c.input, c.line])).toEqual([
      ['a', 2],
      ['b', 4],
      ['c', 6],
    ]);
    const bad = parseDataset('{"input":"a"}\r\n{"input":\r\n', 'x.jsonl');
    expect(bad.diagnostics.map((d) => d.line)).toEqual([2]);
  });

  it('cases with the same tags share one frozen list; cases without vars share one frozen record', () => {
    const parsed = parseDataset(
      [
        '{"input":"a","tags":["x","y"]}',
        '{"input":"b","tags":"x|y"}',
        '{"input":"c","tags":["x\\ny"]}',
        '{"input":"d","tags":["x","y"],"vars":{"k":1}}',
        '{"input":"e"}',
      ].join('\n'),
      'x.jsonl',
    );
    expect(parsed.diagnostics).toEqual([]);
    const [a, b, c, d, e] = parsed.cases;
    expect(a!.tags).toBe(b!.tags);
    expect(Object.isFrozen(a!.tags)).toBe(true);
    // A tag may hold any character: ["x\ny"] is not ["x", "y"].
    expect(c!.tags).toEqual(['x\ny']);
    expect(c!.tags).not.toBe(a!.tags);
    expect(d!.tags).toBe(a!.tags);
    expect(d!.vars).toEqual({ k: '1' });
    expect(a!.vars).toBe(e!.vars);
    expect(Object.isFrozen(e!.vars)).toBe(true);
    expect(e!.tags).toEqual([]);
  });
});

describe('knowledgeFromCases', () => {
  it('maps each normalised question to its reference; the first case wins', async () => {
    const { cases } = await readDataset(write('example.jsonl', EXAMPLE));
    const knowledge = knowledgeFromCases([
      ...cases,
      { input: 'How do I reset my password', reference: 'a later, different answer' },
      { input: [{ role: 'user', content: 'Multi?' }], reference: 'Turn.' },
      { input: 'No reference' },
    ]);
    expect(knowledge.size).toBe(31);
    expect(knowledge.get(normaliseQuestion('how do I reset my PASSWORD?'))).toBe(cases[0]?.reference);
    expect(knowledge.get('multi')).toBe('Turn.');
  });
});
