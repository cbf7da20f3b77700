import { distance } from 'fastest-levenshtein';

/**
 * The closest known name to a misspelt one, or undefined when nothing is close enough.
 * Threshold: a third of the longer name's length, between 2 and 3 edits — the same spirit as
 * git's and cargo's suggestions, which stay silent rather than guess wildly.
 */
export function didYouMean(input: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  const lowered = input.toLowerCase();
  for (const candidate of known) {
    const d = distance(lowered, candidate.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  if (best === undefined) return undefined;
  const length = Math.max(input.length, best.length);
  // A transposition costs 2 edits, so short names need 2 to catch "smi" → "sim".
  const limit = length <= 2 ? 1 : Math.min(3, Math.max(2, Math.floor(length / 3)));
  if (bestDistance <= limit) return best;
  // A truncated name ("close-to-ref") is a clear enough hint on its own.
  if (input.length >= 3) return known.find((k) => k.toLowerCase().startsWith(lowered));
  return undefined;
}

export function suggestionSuffix(input: string, known: readonly string[]): string {
  const hit = didYouMean(input, known);
  return hit === undefined ? '' : ` (did you mean "${hit}"?)`;
}
