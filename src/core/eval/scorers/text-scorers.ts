import { distance } from 'fastest-levenshtein';
import {
  type BaseScorer,
  failedToScore,
  isStatic,
  quote,
  quoteList,
  type RawScore,
  scored,
  specError,
  toText,
} from './base-scorer.js';
import { jsonEqual, parseJsonOutput } from './json-output.js';

/** A static value must be text (or a number/boolean, which YAML may produce). */
function textValue(type: string, value: unknown): void {
  if (isStatic(value) && toText(value) === undefined)
    throw specError(type, `value must be text, got ${quote(value)}`);
}

const asText = (type: string, value: unknown, score: (v: string) => RawScore): RawScore => {
  const text = toText(value);
  return text === undefined ? failedToScore(`${type} needs text as value, got ${quote(value)}`) : score(text);
};

/**
 * A list value: a YAML list, or (after templating, where vars are strings) a JSON list, or a
 * comma-separated string as promptfoo reads one.
 */
export function toList(value: unknown): string[] | undefined {
  if (Array.isArray(value)) {
    const items = value.map(toText);
    return items.every((i): i is string => i !== undefined) ? items : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  if (trimmed.startsWith('[')) {
    try {
      return toList(JSON.parse(trimmed));
    } catch {
      // Not JSON after all: fall through to commas.
    }
  }
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function listValue(type: string, value: unknown): void {
  if (!isStatic(value)) return;
  const list = toList(value);
  if (list === undefined || list.length === 0)
    throw specError(type, `value must be a non-empty list of strings`);
}

export const equalsScorer: BaseScorer = (type, value) => {
  if (value === undefined) throw specError(type, 'value is required');
  return ({ output }, expected) => {
    if (expected !== null && typeof expected === 'object') {
      // An object or list is compared as JSON, so key order and spacing do not matter.
      const parsed = parseJsonOutput(output);
      if (!parsed.ok) return scored(false, `the output is not JSON, so it cannot equal ${quote(expected)}`);
      const same = jsonEqual(parsed.value, expected);
      return scored(
        same,
        same
          ? `the output equals ${quote(expected)} as JSON`
          : `the output's JSON differs from ${quote(expected)}`,
      );
    }
    return asText(type, expected, (text) => {
      // Surrounding whitespace is not content: models end answers with newlines at will.
      const same = output.trim() === text.trim();
      return scored(
        same,
        same ? `the output equals ${quote(text)}` : `the output ${quote(output)} is not ${quote(text)}`,
      );
    });
  };
};

export const containsScorer: BaseScorer = (type, value) => {
  textValue(type, value);
  return ({ output }, expected) =>
    asText(type, expected, (text) =>
      scored(
        output.includes(text),
        output.includes(text)
          ? `the output contains ${quote(text)}`
          : `the output does not contain ${quote(text)}`,
      ),
    );
};

export const icontainsScorer: BaseScorer = (type, value) => {
  textValue(type, value);
  return ({ output }, expected) =>
    asText(type, expected, (text) => {
      const found = output.toLowerCase().includes(text.toLowerCase());
      return scored(
        found,
        found
          ? `the output contains ${quote(text)}, ignoring case`
          : `the output does not contain ${quote(text)}, even ignoring case`,
      );
    });
};

export const containsAnyScorer: BaseScorer = (type, value) => {
  listValue(type, value);
  return ({ output }, expected) => {
    const list = toList(expected);
    if (list === undefined || list.length === 0)
      return failedToScore(`${type} needs a list of strings as value`);
    const hit = list.find((s) => output.includes(s));
    return scored(
      hit !== undefined,
      hit !== undefined
        ? `the output contains ${quote(hit)}, one of ${list.length}`
        : `the output contains none of ${quoteList(list)}`,
    );
  };
};

/** All or nothing: a partial match fails, whatever the threshold; the reason says how many. */
export const containsAllScorer: BaseScorer = (type, value) => {
  listValue(type, value);
  return ({ output }, expected) => {
    const list = toList(expected);
    if (list === undefined || list.length === 0)
      return failedToScore(`${type} needs a list of strings as value`);
    const missing = list.filter((s) => !output.includes(s));
    return scored(
      missing.length === 0,
      missing.length === 0
        ? `the output contains all of ${quoteList(list)}`
        : `the output contains ${list.length - missing.length} of ${list.length}; missing ${quoteList(missing)}`,
    );
  };
};

export const regexScorer: BaseScorer = (type, value) => {
  textValue(type, value);
  let last: { source: string; re: RegExp } | undefined;
  return ({ output }, pattern) =>
    asText(type, pattern, (source) => {
      // Compiled once per distinct pattern in a row: static patterns compile once per run.
      if (last?.source !== source) {
        try {
          last = { source, re: new RegExp(source) };
        } catch (error) {
          return failedToScore(
            `the pattern ${quote(source)} is not a valid regular expression: ${(error as Error).message}`,
          );
        }
      }
      const m = last.re.exec(output);
      return scored(
        m !== null,
        m !== null
          ? `the output matches /${source}/ at ${quote(m[0], 40)}`
          : `the output does not match /${source}/`,
      );
    });
};

export const startsWithScorer: BaseScorer = (type, value) => {
  textValue(type, value);
  return ({ output }, expected) =>
    asText(type, expected, (text) => {
      // Leading whitespace is ignored: many models open with a newline.
      const ok = output.trimStart().startsWith(text);
      return scored(
        ok,
        ok
          ? `the output starts with ${quote(text)}`
          : `the output starts with ${quote(output.trimStart().slice(0, Math.max(text.length, 10)))}, not ${quote(text)}`,
      );
    });
};

/** Similarity = 1 − distance / max(length): 1 for equal texts, 0 for nothing in common. */
export const levenshteinScorer: BaseScorer = (type, value) => {
  textValue(type, value);
  return ({ output }, expected) =>
    asText(type, expected, (text) => {
      const a = output.trim();
      const b = text.trim();
      const longest = Math.max(a.length, b.length);
      const d = longest === 0 ? 0 : distance(a, b);
      const similarity = longest === 0 ? 1 : 1 - d / longest;
      return {
        score: similarity,
        reason: `similarity ${similarity.toFixed(2)} to ${quote(text)} (edit distance ${d} over ${longest} characters)`,
      };
    });
};
