import type { EvalCase } from '../../core/eval/types.js';
import { fnv1a32 } from '../../core/hash/fnv1a.js';

export interface CaseSelection {
  /** Keep only cases carrying every one of these tags. */
  readonly filter?: readonly string[];
  /** Keep the first N cases (after filtering). */
  readonly limit?: number;
  /** This machine's share of a sharded run: `{index: 1, count: 4}` is the first of four. */
  readonly shard?: { readonly index: number; readonly count: number };
}

/**
 * Which cases a run evaluates. Shards split by a hash of the case id, not by position, so adding
 * a case to a dataset moves no other case between shards and each CI job's results stay comparable.
 */
export function selectCases(cases: readonly EvalCase[], selection: CaseSelection): EvalCase[] {
  const tags = selection.filter ?? [];
  let selected = cases.filter((c) => tags.every((t) => c.tags.includes(t)));
  if (selection.shard) {
    const { index, count } = selection.shard;
    selected = selected.filter((c) => fnv1a32(c.id) % count === index - 1);
  }
  if (selection.limit !== undefined) selected = selected.slice(0, selection.limit);
  return selected;
}

/** `2/5` → `{index: 2, count: 5}`; undefined when the text is not a valid shard. */
export function parseShard(text: string): { index: number; count: number } | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) return undefined;
  const index = Number(m[1]);
  const count = Number(m[2]);
  return count >= 1 && index >= 1 && index <= count ? { index, count } : undefined;
}
