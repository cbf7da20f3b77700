import { readFile } from 'node:fs/promises';
import { basename, dirname, relative } from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import type { LoadedDataset } from '../../app/ports/dataset-source.js';
import { BallastError } from '../../core/errors.js';
import {
  fromPromptfooAssertion,
  type PromptfooMappingOptions,
} from '../../core/eval/scorers/from-promptfoo-assertion.js';
import type { EvalCase, ScorerSpec } from '../../core/eval/types.js';
import { contentHash } from '../../core/hash/content-hash.js';
import { type Diagnostic, formatDiagnostic } from '../../core/spec/diagnostic.js';
import {
  type Report,
  readTestFiles,
  reporter,
  type TestAt,
  type TestFiles,
  testsOfFile,
} from './promptfoo-test-files.js';
import { stripBom } from './read-dataset.js';

/**
 * promptfoo users bring their tests (issue #4): the `tests:` of a promptfooconfig.yaml (or a
 * YAML file that is just a list of promptfoo tests) become Ballast cases, their `assert:` items
 * Ballast scorer specs, and `defaultTest` applies to every case of the config. Whatever cannot come along is
 * reported, never silently dropped: an unsupported assertion is skipped with a warning that names
 * its type and test; a problem that leaves nothing to run is an error.
 */

export interface PromptfooDataset extends LoadedDataset {
  readonly format: 'promptfoo';
  readonly cases: readonly EvalCase[];
  /** `defaultTest.assert`, mapped: scorers for every case. */
  readonly scorers: readonly ScorerSpec[];
  readonly diagnostics: readonly Diagnostic[];
}

/** Var names that hold the question, in order of preference; otherwise the first var is the input. */
const INPUT_VARS = ['input', 'question', 'query', 'prompt'];
const REFERENCE_VARS = ['reference', 'expected', 'expected_output', 'ground_truth'];
const TEST_KEYS = new Set(['vars', 'assert', 'description', 'metadata']);
/** promptfoo multiplies a test by each list-valued var; past this many copies it is a mistake. */
const MAX_EXPANSION = 1000;

/** A promptfoo config by its conventional name. */
export function isPromptfooConfigFile(file: string): boolean {
  return /^promptfooconfig\.ya?ml$/i.test(basename(file));
}

/** Reads a promptfoo config; throws a BallastError listing the errors when nothing usable is left. */
export async function readPromptfooDataset(
  file: string,
  options: PromptfooMappingOptions = {},
): Promise<PromptfooDataset> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new BallastError('BALLAST_ERR_IO', `${file}: cannot read the promptfoo config: ${reason}`, {
      cause: error,
    });
  }
  // A promptfoo CSV of tests on its own reads as a config whose tests: names it.
  const parsed = /\.csv$/i.test(file)
    ? parsePromptfooConfig(
        `tests: file://${basename(file)}\n`,
        file,
        options,
        new Map([[`file://${basename(file)}`, [{ file, text }]]]),
      )
    : parsePromptfooConfig(text, file, options, await readTestFiles(text, file));
  const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    throw new BallastError(
      'BALLAST_ERR_DATASET',
      `promptfoo config ${file} cannot be used:\n${errors.map(formatDiagnostic).join('\n')}`,
      {
        details: { diagnostics: errors },
      },
    );
  }
  return parsed;
}

/** Parses a promptfoo config's text; never throws. `file` labels the diagnostics. */
export function parsePromptfooConfig(
  text: string,
  file: string,
  options: PromptfooMappingOptions = {},
  testFiles: TestFiles = new Map(),
): PromptfooDataset {
  const body = stripBom(text);
  // The referenced test files are part of the data: a change in one changes the dataset's hash.
  const referenced = [...testFiles.values()].flatMap((f) => ('error' in f ? [] : f.map((t) => t.text)));
  const hash = contentHash([body, ...referenced].map((t) => t.replace(/\r\n?/g, '\n')).join('\0'), 16);
  const diagnostics: Diagnostic[] = [];
  const lineCounter = new LineCounter();
  const doc = parseDocument(body, { lineCounter, prettyErrors: false });
  const { report, lineOf } = reporter(diagnostics, file, lineCounter);
  const result = (cases: EvalCase[] = [], scorers: ScorerSpec[] = []): PromptfooDataset => ({
    file,
    format: 'promptfoo',
    hash,
    cases,
    scorers,
    diagnostics,
    warnings: diagnostics.filter((d) => d.severity === 'warning').map(formatDiagnostic),
  });

  for (const e of doc.errors) {
    const p = lineCounter.linePos(e.pos[0]);
    diagnostics.push({
      file,
      line: p.line,
      col: p.col,
      path: '',
      message: `YAML syntax error: ${e.message.split('\n')[0]}`,
      severity: 'error',
    });
  }
  if (doc.errors.length > 0) return result();
  let js: unknown;
  try {
    js = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    report(undefined, '', `YAML error: ${(error as Error).message.split('\n')[0]}`, 'error');
    return result();
  }
  // A file that is just a list of tests (what `tests: file://tests.yaml` points at) reads the same.
  const config = (Array.isArray(js) ? { tests: js } : js) as Record<string, unknown> | null;
  const testsNode = isSeq(doc.contents)
    ? doc.contents
    : isMap(doc.contents)
      ? doc.contents.get('tests', true)
      : undefined;
  if (config === null || typeof config !== 'object') {
    report(undefined, '', 'expected a promptfoo config (a mapping with tests:) or a list of tests', 'error');
    return result();
  }

  if (config.prompts !== undefined || config.providers !== undefined) {
    report(
      doc.get('prompts', true) ?? doc.get('providers', true),
      'prompts',
      'prompts and providers are not imported: Ballast sends each case to the change’s variants; put the prompt in the variant’s system prompt, with {{var}} templates for the test vars',
      'warning',
    );
  }
  if (config.scenarios !== undefined)
    report(
      doc.get('scenarios', true),
      'scenarios',
      'scenarios are not supported; list their tests under tests:',
      'warning',
    );

  const defaults = readDefaultTest(config.defaultTest, doc.get('defaultTest', true), report, options);
  const tests = config.tests;
  if (tests === undefined) {
    report(undefined, 'tests', 'the config has no tests:', 'error');
    return result([], defaults.scorers);
  }
  const items = typeof tests === 'string' ? [tests] : Array.isArray(tests) ? tests : undefined;
  if (items === undefined) {
    report(testsNode, 'tests', 'expected tests: to be a list of tests or a file reference', 'error');
    return result([], defaults.scorers);
  }

  const cases: EvalCase[] = [];
  const seen = new Set<string>();
  const add = (found: EvalCase[]) => {
    for (const c of found) {
      let id = c.id;
      for (let n = 2; seen.has(id); n++) id = `${c.id}-${n}`;
      seen.add(id);
      cases.push(id === c.id ? c : { ...c, id });
    }
  };
  items.forEach((test, index) => {
    const node = isSeq(testsNode) ? testsNode.items[index] : testsNode;
    const path = `tests[${index}]`;
    if (typeof test === 'string') {
      const files = testFiles.get(test);
      if (files === undefined) report(node, path, fileReferenceMessage(test), 'error');
      else if ('error' in files) report(node, path, files.error, 'error');
      else
        for (const f of files)
          for (const t of testsOfFile(f, diagnostics))
            add(
              readTest(
                t.test,
                {
                  ...t.at,
                  meta: { test: index, file: relative(dirname(file), f.file) || f.file, ...t.at.meta },
                },
                defaults.vars,
                options,
              ),
            );
      return;
    }
    if (test === null || typeof test !== 'object' || Array.isArray(test)) {
      report(node, path, 'expected a test: a mapping with vars and assert', 'error');
      return;
    }
    add(
      readTest(
        test as Record<string, unknown>,
        { path, line: lineOf(node), node, report, meta: { test: index } },
        defaults.vars,
        options,
      ),
    );
  });
  if (cases.length === 0 && !diagnostics.some((d) => d.severity === 'error'))
    report(testsNode, 'tests', 'no usable tests', 'error');
  return result(cases, defaults.scorers);
}

/** Without the referenced files read (parsePromptfooConfig alone), how to get them in. */
function fileReferenceMessage(reference: string): string {
  return reference.startsWith('file://')
    ? `tests are read from ${reference}, which was not loaded (read the config with readPromptfooDataset)`
    : `expected a test or a file:// reference, got "${reference}"`;
}

function readDefaultTest(
  value: unknown,
  node: unknown,
  report: Report,
  options: PromptfooMappingOptions,
): { vars: Record<string, unknown>; scorers: ScorerSpec[] } {
  if (value === undefined || value === null) return { vars: {}, scorers: [] };
  if (typeof value === 'string') {
    report(
      node,
      'defaultTest',
      `defaultTest is read from ${value}: put it inline, or its vars and assertions are missing`,
      'error',
    );
    return { vars: {}, scorers: [] };
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    report(node, 'defaultTest', 'expected defaultTest: to be a mapping', 'error');
    return { vars: {}, scorers: [] };
  }
  const d = value as Record<string, unknown>;
  for (const key of Object.keys(d))
    if (!TEST_KEYS.has(key))
      report(node, `defaultTest.${key}`, `defaultTest.${key} is not supported and is ignored`, 'warning');
  const vars =
    d.vars !== null && typeof d.vars === 'object' && !Array.isArray(d.vars)
      ? (d.vars as Record<string, unknown>)
      : {};
  return { vars, scorers: mapAsserts(d.assert, 'defaultTest', node, report, options) };
}

function mapAsserts(
  value: unknown,
  where: string,
  node: unknown,
  report: Report,
  options: PromptfooMappingOptions,
): ScorerSpec[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    report(node, `${where}.assert`, 'expected assert: to be a list', 'warning');
    return [];
  }
  const specs: ScorerSpec[] = [];
  value.forEach((raw, i) => {
    const mapped = fromPromptfooAssertion(raw, `${where}.assert[${i}]`, options);
    const at = childAt(node, ['assert', i]) ?? node;
    for (const w of mapped.warnings) report(at, `${where}.assert[${i}]`, w, 'warning');
    if (mapped.spec !== undefined) specs.push(mapped.spec);
  });
  return specs;
}

/** One promptfoo test → one case, or several when vars hold lists (promptfoo's cartesian product). */
function readTest(
  test: Record<string, unknown>,
  at: TestAt,
  defaultVars: Record<string, unknown>,
  options: PromptfooMappingOptions,
): EvalCase[] {
  const { path, line, node, report } = at;
  for (const key of Object.keys(test))
    if (!TEST_KEYS.has(key))
      report(node, `${path}.${key}`, `${path}.${key} is not supported and is ignored`, 'warning');
  if (typeof test.vars === 'string') {
    report(node, `${path}.vars`, `vars are read from ${test.vars}: put them inline`, 'error');
    return [];
  }
  const own =
    test.vars !== null && typeof test.vars === 'object' && !Array.isArray(test.vars)
      ? (test.vars as Record<string, unknown>)
      : {};
  // The test's own vars first: the first of them is the input when none has a conventional name.
  const merged: Record<string, unknown> = { ...own };
  for (const [k, v] of Object.entries(defaultVars)) if (!Object.hasOwn(merged, k)) merged[k] = v;
  // The input is a conventionally named var, or the test's own first var: a test with only
  // defaultTest vars (say, a product name) has no question of its own to send.
  const inputName = INPUT_VARS.find((n) => Object.hasOwn(merged, n)) ?? Object.keys(own)[0];
  if (inputName === undefined) {
    report(node, path, `${path} has no vars of its own, so it has no input to send; skipped`, 'warning');
    return [];
  }
  const combos = expand(merged);
  if (combos === undefined) {
    report(
      node,
      `${path}.vars`,
      `${path}: list-valued vars expand to more than ${MAX_EXPANSION} tests; skipped`,
      'error',
    );
    return [];
  }
  const scorers = mapAsserts(test.assert, path, node, report, options);
  const description = typeof test.description === 'string' ? test.description : undefined;
  const metadata =
    test.metadata !== null && typeof test.metadata === 'object'
      ? (test.metadata as Record<string, unknown>)
      : {};
  const tags = Array.isArray(metadata.tags)
    ? metadata.tags.filter((t): t is string => typeof t === 'string')
    : [];
  return combos.map((raw) => {
    const vars: Record<string, string> = {};
    for (const [name, value] of Object.entries(raw)) {
      vars[name] = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
      if (vars[name]!.startsWith('file://'))
        report(
          node,
          `${path}.vars.${name}`,
          `vars.${name} refers to ${vars[name]}, which is not loaded: the text is used as it is`,
          'warning',
        );
    }
    const input = vars[inputName]!;
    const referenceName = REFERENCE_VARS.find((n) => Object.hasOwn(vars, n));
    const reference = referenceName === undefined ? undefined : vars[referenceName];
    return {
      id: contentHash(JSON.stringify([input, reference ?? null, vars]), 12),
      input,
      ...(reference === undefined ? {} : { reference }),
      tags,
      vars,
      ...(scorers.length > 0 ? { assert: scorers } : {}),
      metadata: {
        ...metadata,
        ...(description === undefined ? {} : { description }),
        promptfoo: at.meta,
      },
      line,
    };
  });
}

/** The cartesian product of list-valued vars, or undefined past MAX_EXPANSION. */
function expand(vars: Record<string, unknown>): Record<string, unknown>[] | undefined {
  let combos: Record<string, unknown>[] = [{}];
  for (const [name, value] of Object.entries(vars)) {
    const options = Array.isArray(value) && value.length > 0 ? value : [value];
    if (combos.length * options.length > MAX_EXPANSION) return undefined;
    combos = combos.flatMap((c) => options.map((o) => ({ ...c, [name]: o })));
  }
  return combos;
}

/** The YAML node at a path under `node`, for locating a message; undefined when absent. */
function childAt(node: unknown, path: readonly (string | number)[]): unknown {
  let at: unknown = node;
  for (const key of path) {
    if (isMap(at)) at = at.get(key, true);
    else if (isSeq(at) && typeof key === 'number') at = at.items[key];
    else return undefined;
  }
  return at ?? undefined;
}
