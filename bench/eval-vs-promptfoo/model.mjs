// The bench's "model" and its cases, shared by the server and the dataset generator so that the
// expected answers and the served answers cannot drift apart.

/** The code of item n: stable, short, looks like an identifier. */
export function itemCode(n) {
  return `K${((Math.imul(n, 2654435761) >>> 0) % 1_000_000).toString(36).toUpperCase()}`;
}

/** The reference answer of case n. */
export function reference(n) {
  return `The code for item ${n} is ${itemCode(n)}.`;
}

/** The question of case n (about 90 characters, like a short support question). */
export function question(n) {
  return `Customer ${(n * 7919) % 100_000} asks: what is the code for item ${n}? Please answer in one short sentence.`;
}

const CATEGORIES = ['account', 'billing', 'api', 'other'];

/** Tags of case n: a category, and `critical` on every 10th case. */
export function tags(n) {
  return n % 10 === 0 ? [CATEGORIES[n % 4], 'critical'] : [CATEGORIES[n % 4]];
}

export function caseId(n) {
  return `case-${String(n).padStart(6, '0')}`;
}

/**
 * What the "model" says to the last user message. Both models answer with the reference, except
 * that a model whose name contains "candidate" phrases every 20th item differently (a small
 * regression, so both tools have some failures to report).
 */
export function answerFor(model, text) {
  const m = /item (\d+)/i.exec(text);
  if (!m) return 'I do not know which item you mean.';
  const n = Number(m[1]);
  if (String(model).includes('candidate') && n % 20 === 0)
    return `Item ${n} probably has the code ${itemCode(n)}.`;
  return reference(n);
}
