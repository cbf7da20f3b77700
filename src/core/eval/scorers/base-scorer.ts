import { BallastError } from '../../errors.js';
import { hasTemplate } from '../template.js';
import type { ScoreInput } from '../types.js';

/** What a scorer type computes before threshold, negation and weight are applied. */
export interface RawScore {
  /** 0 (worst) .. 1 (best). */
  readonly score: number;
  /** The finding as a sentence, without the verdict: "the output contains "Paris"". */
  readonly reason: string;
  /** Scoring was impossible (bad pattern, missing variable): fails whether negated or not. */
  readonly error?: boolean;
}

/** One scorer type: checks its static `value` once, then scores outputs with the rendered value. */
export type BaseScorer = (type: string, value: unknown) => (input: ScoreInput, value: unknown) => RawScore;

/** A scorer spec whose value has the wrong shape: a spec problem, reported when the scorer is built. */
export function specError(type: string, message: string): BallastError {
  return new BallastError('BALLAST_ERR_SPEC', `scorer ${type}: ${message}`, { details: { type } });
}

/**
 * Whether a value can be checked when the scorer is built: a templated one is only known per
 * case, after rendering, and is checked then.
 */
export const isStatic = (value: unknown): boolean => !hasTemplate(value);

export const scored = (pass: boolean, reason: string): RawScore => ({ score: pass ? 1 : 0, reason });

export const failedToScore = (reason: string): RawScore => ({ score: 0, reason, error: true });

/** A value quoted for a reason sentence, shortened so reports stay readable. */
export function quote(value: unknown, max = 60): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  const flat = text.replace(/\s+/g, ' ');
  return JSON.stringify(flat.length > max ? `${flat.slice(0, max - 1)}…` : flat);
}

/** Strings of a list quoted one by one: "a", "b" and "c". */
export function quoteList(items: readonly string[]): string {
  const quoted = items.map((i) => quote(i, 40));
  return quoted.length <= 1 ? (quoted[0] ?? '') : `${quoted.slice(0, -1).join(', ')} and ${quoted.at(-1)}`;
}

/** A number from a value that may be written as a number or, after templating, as its text. */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** Text from a value written as a string, a number or a boolean (YAML may type `value: 42`). */
export function toText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** `not-contains` → {base: 'contains', negated: true}. */
export function parseScorerType(type: string): { readonly base: string; readonly negated: boolean } {
  return type.startsWith('not-') ? { base: type.slice(4), negated: true } : { base: type, negated: false };
}
