import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import { BallastError } from '../../core/errors.js';
import type { EvalCase } from '../../core/eval/types.js';
import { contentHash } from '../../core/hash/content-hash.js';
import type { ChatMessage, ChatRole } from '../../core/provider/chat.js';
import { lastUserText, normaliseQuestion } from '../../core/sim/sim-text.js';
import { type Diagnostic, formatDiagnostic } from '../../core/spec/diagnostic.js';

export type DatasetFormat = 'jsonl' | 'csv' | 'yaml';

/** One case of a dataset, whatever file format it came from (the eval's own case shape). */
export type DatasetCase = EvalCase;

export interface Dataset {
  readonly file: string;
  readonly format: DatasetFormat;
  /** Hash of the file's text (line endings normalised): a run records it to detect changed data. */
  readonly hash: string;
  readonly cases: readonly DatasetCase[];
}

export interface ParsedDataset extends Dataset {
  /** Every problem found, each at `file:line:col`; the cases are only usable when there are none. */
  readonly diagnostics: readonly Diagnostic[];
}

const ROLES: ReadonlySet<ChatRole> = new Set(['system', 'developer', 'user', 'assistant', 'tool']);
const KNOWN_KEYS = new Set(['id', 'input', 'reference', 'tags', 'vars', 'assert', 'repeats']);
const CSV_COLUMNS = new Set(['id', 'input', 'reference', 'tags', 'repeats']);

/** The format a file name implies, or undefined for an extension no reader knows. */
export function datasetFormatOf(file: string): DatasetFormat | undefined {
  const ext = extname(file).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.csv') return 'csv';
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  return undefined;
}

/**
 * Reads a dataset file (by extension: .jsonl, .csv, .yaml/.yml). Throws a BallastError listing
 * every problem with its `file:line:col` when the file is unreadable or has bad cases.
 */
export async function readDataset(file: string): Promise<Dataset> {
  const format = datasetFormatOf(file);
  if (format === undefined)
    throw new BallastError(
      'BALLAST_ERR_DATASET',
      `${file}: unknown dataset format; use .jsonl, .csv or .yaml`,
    );
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new BallastError('BALLAST_ERR_IO', `${file}: cannot read the dataset: ${reason}`, { cause: error });
  }
  const parsed = parseDataset(text, file, format);
  const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    const shown = errors.slice(0, 20).map(formatDiagnostic);
    if (errors.length > 20) shown.push(`… and ${errors.length - 20} more`);
    throw new BallastError('BALLAST_ERR_DATASET', `dataset ${file} is invalid:\n${shown.join('\n')}`, {
      details: { diagnostics: errors },
    });
  }
  return { file: parsed.file, format: parsed.format, hash: parsed.hash, cases: parsed.cases };
}

/** Parses a dataset's text; never throws. `file` only labels diagnostics and picks the format. */
export function parseDataset(
  text: string,
  file: string,
  format = datasetFormatOf(file) ?? 'jsonl',
): ParsedDataset {
  const body = stripBom(text);
  const diagnostics: Diagnostic[] = [];
  const report = (line: number, path: string, message: string, col = line > 0 ? 1 : 0) =>
    diagnostics.push({ file, line, col, path, message, severity: 'error' });
  const rows =
    format === 'csv'
      ? csvRows(body, report)
      : format === 'yaml'
        ? yamlRows(body, report)
        : jsonlRows(body, report);

  const cases: DatasetCase[] = [];
  const seen = new Map<string, number>();
  const shared = new SharedTags();
  for (const row of rows) {
    const item = toCase(row.value, row.line, shared, report);
    if (item === undefined) continue;
    const first = seen.get(item.id);
    if (first !== undefined) report(row.line, 'id', `duplicate id "${item.id}" (first at line ${first})`);
    else seen.set(item.id, row.line);
    cases.push(item);
  }
  if (rows.length === 0 && diagnostics.length === 0) report(0, '', 'the dataset has no cases');
  return { file, format, hash: contentHash(body.replace(/\r\n?/g, '\n'), 16), cases, diagnostics };
}

/**
 * What a `sim` model "knows" from a dataset: normalised question (the case's input, or its last
 * user message) → reference. The first case wins when two ask the same question.
 */
export function knowledgeFromCases(
  cases: readonly Pick<DatasetCase, 'input' | 'reference'>[],
): ReadonlyMap<string, string> {
  const knowledge = new Map<string, string>();
  for (const c of cases) {
    if (c.reference === undefined || c.reference.trim() === '') continue;
    const key = normaliseQuestion(typeof c.input === 'string' ? c.input : lastUserText(c.input));
    if (key !== '' && !knowledge.has(key)) knowledge.set(key, c.reference);
  }
  return knowledge;
}

export interface Row {
  readonly value: unknown;
  readonly line: number;
}
type Report = (line: number, path: string, message: string, col?: number) => void;

export function stripBom(text: string): string {
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}

/**
 * One JSON value per line (LF or CRLF) with its line number; blank lines are skipped, a line that
 * is not JSON is reported. Lines are cut with indexOf rather than a regular-expression split: the
 * whole dataset is read before the first call of a run. Also reads promptfoo's JSONL test files.
 */
export function jsonlRows(text: string, report: Report): Row[] {
  const rows: Row[] = [];
  let line = 0;
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    line++;
    const source = text.slice(start, end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end);
    start = end + 1;
    if (!/\S/.test(source)) continue;
    try {
      rows.push({ value: JSON.parse(source), line });
    } catch (error) {
      report(line, '', `invalid JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return rows;
}

/** A header row, then one case per record; columns other than id, input, reference, tags, repeats are vars. */
function csvRows(text: string, report: Report): Row[] {
  let records: { info: { lines: number }; raw: string; record: Record<string, string> }[];
  try {
    records = parseCsv(text, {
      columns: true,
      bom: true,
      skip_empty_lines: true,
      info: true,
      raw: true,
    }) as typeof records;
  } catch (error) {
    const line =
      typeof (error as { lines?: unknown }).lines === 'number' ? (error as { lines: number }).lines : 0;
    report(line, '', `invalid CSV: ${error instanceof Error ? error.message : String(error)}`);
    return [];
  }
  return records.map(({ info, raw, record }) => {
    const value: Record<string, unknown> = {};
    const vars: Record<string, string> = {};
    for (const [column, cell] of Object.entries(record)) {
      const name = column.trim();
      if (!CSV_COLUMNS.has(name)) vars[name] = cell;
      else if (cell.trim() === '') continue;
      else value[name] = name === 'repeats' ? Number(cell) : cell;
    }
    // info.lines is where the record ends; a quoted cell may span lines, so count back to its start.
    const spanned =
      raw
        .replace(/^(\r?\n)+/, '')
        .replace(/\r?\n$/, '')
        .split('\n').length - 1;
    return { value: { ...value, vars }, line: info.lines - spanned };
  });
}

/** A list of cases, or a mapping whose `cases:` is that list. */
function yamlRows(text: string, report: Report): Row[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  for (const e of doc.errors) {
    const p = lineCounter.linePos(e.pos[0]);
    report(p.line, '', `YAML syntax error: ${e.message.split('\n')[0]}`, p.col);
  }
  if (doc.errors.length > 0) return [];
  const contents = doc.contents;
  const seq = isSeq(contents) ? contents : isMap(contents) ? contents.get('cases', true) : undefined;
  if (!isSeq(seq)) {
    report(1, '', 'expected a list of cases, or a mapping with a `cases:` list');
    return [];
  }
  let values: unknown[];
  try {
    const js = doc.toJS({ maxAliasCount: 100 }) as unknown;
    values = (Array.isArray(js) ? js : (js as { cases: unknown[] }).cases) ?? [];
  } catch (error) {
    report(1, '', `YAML error: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    return [];
  }
  return seq.items.map((node, i) => {
    const offset = (node as { range?: [number, number, number] }).range?.[0];
    return { value: values[i], line: offset === undefined ? 0 : lineCounter.linePos(offset).line };
  });
}

/**
 * Cases of a dataset hold one frozen tag list per distinct list, and cases without vars one frozen
 * empty record: a run keeps every case for its whole length, and most cases share a few tag sets.
 */
class SharedTags {
  private readonly lists = new Map<string, readonly string[]>();

  tags(list: string[]): readonly string[] {
    // JSON, not a join: any character, a separator included, may be part of a tag.
    const key = JSON.stringify(list);
    let shared = this.lists.get(key);
    if (shared === undefined) {
      shared = Object.freeze(list);
      this.lists.set(key, shared);
    }
    return shared;
  }
}

const NO_VARS: Readonly<Record<string, string>> = Object.freeze({});

/** Validates and normalises one case; reports each problem and returns undefined if there was any. */
function toCase(raw: unknown, line: number, shared: SharedTags, report: Report): DatasetCase | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    report(line, '', 'expected a case: an object with at least an `input`');
    return undefined;
  }
  const record = raw as Record<string, unknown>;
  let problems = 0;
  const fail = (path: string, message: string) => {
    problems++;
    report(line, path, message);
  };

  const input = toInput(record.input, fail);
  const reference = toOptionalText(record.reference, 'reference', fail);
  const tags = shared.tags(toTags(record.tags, fail));
  const parsedVars = toVars(record.vars, fail);
  const vars = Object.keys(parsedVars).length === 0 ? NO_VARS : parsedVars;
  if (record.assert !== undefined && !Array.isArray(record.assert))
    fail('assert', 'expected a list of assertions');
  const repeats = record.repeats;
  if (repeats !== undefined && !(Number.isInteger(repeats) && (repeats as number) >= 1))
    fail('repeats', 'expected a whole number ≥ 1');
  const id = record.id;
  if (id !== undefined && !(typeof id === 'string' && id.trim() !== '') && typeof id !== 'number')
    fail('id', 'expected a non-empty string or a number');
  if (problems > 0 || input === undefined) return undefined;

  let metadata: Record<string, unknown> | undefined;
  for (const key in record) {
    if (KNOWN_KEYS.has(key) || !Object.hasOwn(record, key)) continue;
    metadata ??= {};
    metadata[key] = record[key];
  }
  // Assigned field by field (no spreads): the same fields as before, absent when not given.
  const item: { -readonly [K in keyof DatasetCase]: DatasetCase[K] } = {
    id:
      id === undefined
        ? contentHash(JSON.stringify([input, reference ?? null, vars]), 12)
        : typeof id === 'string'
          ? id.trim()
          : String(id),
    input,
    tags,
    vars,
    line,
  };
  if (reference !== undefined) item.reference = reference;
  if (Array.isArray(record.assert)) item.assert = record.assert;
  if (repeats !== undefined) item.repeats = repeats as number;
  if (metadata !== undefined) item.metadata = metadata;
  return item;
}

function toInput(
  value: unknown,
  fail: (path: string, message: string) => void,
): DatasetCase['input'] | undefined {
  if (typeof value === 'string') {
    if (value.trim() === '') fail('input', 'is empty');
    return value;
  }
  if (!Array.isArray(value) || value.length === 0) {
    fail('input', 'expected a string or a non-empty list of messages ({role, content})');
    return undefined;
  }
  const messages: ChatMessage[] = [];
  value.forEach((m, i) => {
    const message = m as Partial<Record<keyof ChatMessage, unknown>> | null;
    if (message === null || typeof message !== 'object' || !ROLES.has(message.role as ChatRole)) {
      fail(`input[${i}].role`, `expected one of ${[...ROLES].join(', ')}`);
      return;
    }
    const content = message.content;
    if (!(typeof content === 'string' || content === null || Array.isArray(content))) {
      fail(`input[${i}].content`, 'expected text, a list of content parts, or null');
      return;
    }
    messages.push(message as ChatMessage);
  });
  return messages;
}

function toOptionalText(
  value: unknown,
  path: string,
  fail: (path: string, message: string) => void,
): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value !== 'string') {
    fail(path, 'expected text');
    return undefined;
  }
  return value === '' ? undefined : value;
}

/** A list of strings, or one string split on `|` or `,` (the form CSV cells allow). */
function toTags(value: unknown, fail: (path: string, message: string) => void): string[] {
  if (value === undefined || value === null) return [];
  const list = typeof value === 'string' ? value.split(/[|,]/) : value;
  if (!Array.isArray(list) || !list.every((t) => typeof t === 'string' || typeof t === 'number')) {
    fail('tags', 'expected a list of tags, or one string of tags separated by | or ,');
    return [];
  }
  // Trimmed, non-empty, each once, in the order written (a case has a handful).
  const tags: string[] = [];
  for (const t of list as (string | number)[]) {
    const tag = String(t).trim();
    if (tag !== '' && !tags.includes(tag)) tags.push(tag);
  }
  return tags;
}

function toVars(value: unknown, fail: (path: string, message: string) => void): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    fail('vars', 'expected a mapping of names to values');
    return {};
  }
  const vars: Record<string, string> = {};
  for (const [name, v] of Object.entries(value))
    vars[name] = typeof v === 'string' ? v : (JSON.stringify(v) ?? '');
  return vars;
}
