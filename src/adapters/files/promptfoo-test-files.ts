import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, resolve } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { glob, isDynamicPattern } from 'tinyglobby';
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import { testFromCsvRow } from '../../core/eval/scorers/from-promptfoo-csv.js';
import type { Diagnostic } from '../../core/spec/diagnostic.js';
import { jsonlRows, stripBom } from './read-dataset.js';

/**
 * The test files a promptfoo config names (`tests: file://tests.csv`, `file://tests/*.yaml`, a list
 * mixing them with inline tests): read relative to the config, globs expanded, and each file's
 * tests located by file and line for the messages of promptfoo-dataset.ts.
 */
/** A file that a `tests: file://…` reference names, read: its path (for messages) and its text. */
export interface TestFile {
  readonly file: string;
  readonly text: string;
}

/** What each `file://` reference of `tests:` resolved to: its files, or why none could be read. */
export type TestFiles = ReadonlyMap<string, readonly TestFile[] | { readonly error: string }>;

/** Test files per reference: more than this many files behind one glob is a mistake. */
const MAX_TEST_FILES = 1000;

/**
 * The files behind the `file://` references of a config's `tests:` (one reference, or strings in
 * the list), read relative to the config's folder; globs are expanded. A reference that cannot
 * be read maps to its error; the config's own problems are left to parsePromptfooConfig.
 */
export async function readTestFiles(text: string, file: string): Promise<TestFiles> {
  let tests: unknown;
  try {
    tests = (parseDocument(stripBom(text)).toJS({ maxAliasCount: 100 }) as { tests?: unknown } | null)?.tests;
  } catch {
    return new Map();
  }
  const references = (Array.isArray(tests) ? tests : [tests]).filter(
    (t): t is string => typeof t === 'string' && t.startsWith('file://'),
  );
  const out = new Map<string, readonly TestFile[] | { error: string }>();
  const folder = dirname(file);
  for (const reference of new Set(references)) {
    const pattern = reference.slice('file://'.length);
    try {
      const paths = isDynamicPattern(pattern)
        ? (await glob(pattern, { cwd: folder, absolute: true, onlyFiles: true })).sort()
        : [resolve(folder, pattern)];
      if (paths.length === 0) {
        out.set(reference, { error: `tests are read from ${reference}, which matches no file` });
        continue;
      }
      if (paths.length > MAX_TEST_FILES) {
        out.set(reference, {
          error: `tests are read from ${reference}, which matches over ${MAX_TEST_FILES} files`,
        });
        continue;
      }
      const files: TestFile[] = [];
      for (const path of paths) files.push({ file: path, text: await readFile(path, 'utf8') });
      out.set(reference, files);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      out.set(reference, { error: `tests are read from ${reference}, which cannot be read: ${reason}` });
    }
  }
  return out;
}

export type Report = (node: unknown, path: string, message: string, severity: Diagnostic['severity']) => void;

/** Where a message points: a YAML node of a file's document, or a line of a CSV or JSONL file. */
export function reporter(
  diagnostics: Diagnostic[],
  file: string,
  lineCounter?: LineCounter,
): { report: Report; lineOf: (node: unknown) => number } {
  const lineOf = (node: unknown): number => {
    const n = node as { range?: [number, number, number]; line?: number } | undefined;
    if (typeof n?.line === 'number') return n.line;
    const offset = n?.range?.[0];
    return offset === undefined || !lineCounter ? 0 : lineCounter.linePos(offset).line;
  };
  return {
    lineOf,
    report: (node, path, message, severity) =>
      diagnostics.push({ file, line: lineOf(node), col: lineOf(node) > 0 ? 1 : 0, path, message, severity }),
  };
}

/** Where a test stands, for its messages and its case's metadata. */
export interface TestAt {
  /** `tests[3]`, or `tests.csv row 4`. */
  readonly path: string;
  readonly line: number;
  readonly node: unknown;
  readonly report: Report;
  readonly meta: Readonly<Record<string, unknown>>;
}

/**
 * The tests of one referenced file: a YAML or JSON list of tests (or one test), JSON Lines with a
 * test per line, or a promptfoo CSV (columns are vars; `__expected…` columns are assertions).
 */
export function testsOfFile(
  f: TestFile,
  diagnostics: Diagnostic[],
): { test: Record<string, unknown>; at: Omit<TestAt, 'meta'> & { meta: Record<string, unknown> } }[] {
  const ext = extname(f.file).toLowerCase();
  const body = stripBom(f.text);
  const out: {
    test: Record<string, unknown>;
    at: Omit<TestAt, 'meta'> & { meta: Record<string, unknown> };
  }[] = [];
  const name = basename(f.file);
  if (ext === '.csv') {
    const { report } = reporter(diagnostics, f.file);
    let rows: { record: Record<string, string>; info: { lines: number } }[];
    try {
      rows = parseCsv(body, {
        columns: true,
        skip_empty_lines: true,
        relax_column_count: false,
        info: true,
      }) as { record: Record<string, string>; info: { lines: number } }[];
    } catch (error) {
      report(undefined, '', `CSV error: ${(error as Error).message.split('\n')[0]}`, 'error');
      return out;
    }
    rows.forEach(({ record, info }, i) => {
      const node = { line: info.lines };
      const path = `${name} row ${i + 1}`;
      const { test, ignored } = testFromCsvRow(record);
      for (const column of ignored)
        report(node, path, `column ${column} is not supported and is ignored`, 'warning');
      out.push({ test, at: { path, line: info.lines, node, report, meta: { row: i + 1 } } });
    });
    return out;
  }
  if (ext === '.jsonl') {
    const { report } = reporter(diagnostics, f.file);
    const at = (line: number) => ({ node: { line }, path: `${name} line ${line}` });
    const rows = jsonlRows(body, (line, _path, message) => {
      const { node, path } = at(line);
      report(node, path, message, 'error');
    });
    for (const { value: test, line } of rows) {
      const { node, path } = at(line);
      if (test === null || typeof test !== 'object' || Array.isArray(test))
        report(node, path, 'expected a test: an object with vars and assert', 'error');
      else out.push({ test: test as Record<string, unknown>, at: { path, line, node, report, meta: {} } });
    }
    return out;
  }
  const lineCounter = new LineCounter();
  const { report, lineOf } = reporter(diagnostics, f.file, lineCounter);
  const doc = parseDocument(body, { lineCounter, prettyErrors: false });
  const syntax = doc.errors[0];
  if (syntax) {
    report(undefined, '', `YAML syntax error: ${syntax.message.split('\n')[0]}`, 'error');
    return out;
  }
  const items = isSeq(doc.contents) ? doc.contents.items : isMap(doc.contents) ? [doc.contents] : undefined;
  if (items === undefined) {
    report(undefined, '', 'expected a list of promptfoo tests', 'error');
    return out;
  }
  let js: unknown;
  try {
    js = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    report(undefined, '', `YAML error: ${(error as Error).message.split('\n')[0]}`, 'error');
    return out;
  }
  const values = Array.isArray(js) ? js : [js];
  items.forEach((node, i) => {
    const path = `${name}[${i}]`;
    const test: unknown = values[i];
    if (test === null || typeof test !== 'object' || Array.isArray(test))
      report(node, path, 'expected a test: a mapping with vars and assert', 'error');
    else
      out.push({
        test: test as Record<string, unknown>,
        at: { path, line: lineOf(node), node, report, meta: { index: i } },
      });
  });
  return out;
}
