/**
 * promptfoo's CSV test files (`tests: file://tests.csv`): each row is a test, its columns are vars
 * except the double-underscore ones promptfoo reserves. `__expected`, `__expected1`, … hold one
 * assertion each, written as a string: `contains: Paris`, `not-icontains: sorry`,
 * `contains-any: a, b`, `levenshtein(3): Paris`, `latency(500)`, `grade: <rubric>` or
 * `llm-rubric: <rubric>`, `javascript: …`; a cell that names no assertion type means `equals` that
 * text. (promptfoo documents this as "assertions in CSV"; the mapping here is Ballast's own.)
 * The result is a promptfoo test object, which then maps like any YAML test.
 */
import { PROMPTFOO_TYPES } from './from-promptfoo-assertion.js';

// Longest names first, so `contains-any` is not read as `contains` followed by `-any…`.
const CELL_RE = new RegExp(
  `^(not-)?(${[...PROMPTFOO_TYPES]
    .sort((a, b) => b.length - a.length)
    .map((t) => t.replace(/-/g, '\\-'))
    .join('|')})(?:\\((\\d+(?:\\.\\d+)?)\\))?(?::([\\s\\S]*))?$`,
);

const LIST_TYPES = new Set(['contains-any', 'contains-all', 'icontains-any', 'icontains-all']);

/** One `__expected` cell as a promptfoo assertion object ({type, value?, threshold?}). */
export function assertionFromCsvCell(cell: string): Record<string, unknown> {
  const text = cell.trim();
  for (const [prefix, type] of [
    ['javascript:', 'javascript'],
    ['fn:', 'javascript'],
    ['eval:', 'javascript'],
    ['python:', 'python'],
    ['grade:', 'llm-rubric'],
    ['llm-rubric:', 'llm-rubric'],
  ] as const) {
    if (text.startsWith(prefix)) return { type, value: text.slice(prefix.length).trim() };
  }
  const m = CELL_RE.exec(text);
  if (!m) return { type: 'equals', value: cell };
  const [, not = '', type = '', threshold, rest] = m;
  const value = rest?.trim();
  const assertion: Record<string, unknown> = { type: `${not}${type}` };
  if (value !== undefined && value !== '')
    assertion.value = LIST_TYPES.has(type) ? value.split(',').map((s) => s.trim()) : value;
  if (threshold !== undefined) {
    // latency(500) and cost(0.002) carry their bound in the parentheses, like a threshold.
    assertion.threshold = Number(threshold);
  }
  return assertion;
}

export interface CsvTest {
  /** A promptfoo test: `vars`, `assert`, and `description`/`metadata` when the row has them. */
  readonly test: Record<string, unknown>;
  /** Reserved columns Ballast does not read, by name. */
  readonly ignored: readonly string[];
}

/** One row of a promptfoo CSV (header → cell) as a promptfoo test. */
export function testFromCsvRow(row: Readonly<Record<string, string>>): CsvTest {
  const vars: Record<string, string> = {};
  const assert: Record<string, unknown>[] = [];
  const metadata: Record<string, string> = {};
  const ignored: string[] = [];
  let description: string | undefined;
  let metric: string | undefined;
  for (const [key, value] of Object.entries(row)) {
    if (key.startsWith('__expected')) {
      if (value.trim() !== '') assert.push(assertionFromCsvCell(value));
    } else if (key === '__description') {
      if (value !== '') description = value;
    } else if (key === '__metric') {
      if (value !== '') metric = value;
    } else if (key.startsWith('__metadata:')) {
      if (value !== '') metadata[key.slice('__metadata:'.length)] = value;
    } else if (key.startsWith('__')) {
      if (value !== '') ignored.push(key);
    } else {
      vars[key] = value;
    }
  }
  // promptfoo names every assertion of the row after `__metric`.
  if (metric !== undefined) for (const a of assert) a.metric = metric;
  const test: Record<string, unknown> = { vars, assert };
  if (description !== undefined) test.description = description;
  if (Object.keys(metadata).length > 0) {
    test.metadata = {
      ...metadata,
      ...(metadata.tags !== undefined ? { tags: metadata.tags.split(/[|,]/).map((t) => t.trim()) } : {}),
    };
  }
  return { test, ignored };
}
