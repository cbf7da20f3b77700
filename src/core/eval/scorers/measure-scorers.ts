import {
  type BaseScorer,
  failedToScore,
  isStatic,
  quote,
  scored,
  specError,
  toNumber,
} from './base-scorer.js';

interface Bounds {
  readonly min?: number;
  readonly max?: number;
}

/** `value: 50` (at most 50 words) or `value: {min: 10, max: 50}` (either bound may be left out). */
function toBounds(value: unknown): Bounds | undefined {
  const limit = toNumber(value);
  if (limit !== undefined) return limit >= 0 ? { max: limit } : undefined;
  if (typeof value === 'string' && value.trim().startsWith('{')) {
    try {
      return toBounds(JSON.parse(value));
    } catch {
      return undefined;
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const { min, max, ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length > 0) return undefined;
  const lo = min === undefined ? undefined : toNumber(min);
  const hi = max === undefined ? undefined : toNumber(max);
  if ((min !== undefined && lo === undefined) || (max !== undefined && hi === undefined)) return undefined;
  if (lo === undefined && hi === undefined) return undefined;
  if (lo !== undefined && hi !== undefined && lo > hi) return undefined;
  return { ...(lo === undefined ? {} : { min: lo }), ...(hi === undefined ? {} : { max: hi }) };
}

/** Words are runs of non-space characters, as `wc -w` counts them. */
export function countWords(text: string): number {
  const trimmed = text.trim();
  return trimmed === '' ? 0 : trimmed.split(/\s+/).length;
}

export const wordCountScorer: BaseScorer = (type, value) => {
  if (isStatic(value) && toBounds(value) === undefined)
    throw specError(type, `value must be a limit or {min, max}, got ${quote(value)}`);
  return ({ output }, raw) => {
    const bounds = toBounds(raw);
    if (bounds === undefined)
      return failedToScore(`${type} needs a limit or {min, max} as value, got ${quote(raw)}`);
    const n = countWords(output);
    const low = bounds.min !== undefined && n < bounds.min;
    const high = bounds.max !== undefined && n > bounds.max;
    const range =
      bounds.min === undefined
        ? `at most ${bounds.max}`
        : bounds.max === undefined
          ? `at least ${bounds.min}`
          : `${bounds.min} to ${bounds.max}`;
    return scored(!low && !high, `the output has ${n} word${n === 1 ? '' : 's'}; allowed: ${range}`);
  };
};

function limitScorer(
  what: string,
  unit: (n: number) => string,
  measure: (input: { latencyMs: number; costUsd: number }) => number,
): BaseScorer {
  return (type, value) => {
    const limit = toNumber(value);
    if (isStatic(value) && (limit === undefined || limit < 0))
      throw specError(type, `value must be a non-negative number, got ${quote(value)}`);
    return (input, raw) => {
      const max = toNumber(raw);
      if (max === undefined || max < 0)
        return failedToScore(`${type} needs a non-negative number as value, got ${quote(raw)}`);
      const actual = measure(input);
      return scored(
        actual <= max,
        `the call's ${what} was ${unit(actual)}, ${actual <= max ? 'within' : 'over'} the limit of ${unit(max)}`,
      );
    };
  };
}

export const maxLatencyScorer = limitScorer(
  'latency',
  (ms) => `${Math.round(ms)} ms`,
  (i) => i.latencyMs,
);

/** Costs are shown to 6 decimals: a cheap call costs fractions of a cent. */
export const maxCostScorer = limitScorer(
  'cost',
  (usd) => `$${Number(usd.toFixed(6))}`,
  (i) => i.costUsd,
);
