/**
 * Refusal phrasings of the major chat models ("I'm sorry, but I can't help with that", "I
 * cannot assist", "As an AI language model, I can't…", "I must decline"). A refusal is judged
 * on the opening of the answer: a model that answers and then declines one detail has not
 * refused, and looking at the first few hundred characters keeps the cost flat.
 */
const OPENING_CHARS = 400;

const VERB =
  '(?:help|assist|provide|comply|do\\s{1,3}(?:that|this)|fulfil+|answer|support|share|create|generate|engage|give|complete|process|discuss|continue)';
const CANT =
  "(?:can(?:no|')?t|cannot|won't|will\\s{1,3}not|am\\s{1,3}(?:not\\s{1,3}able|unable)|'m\\s{1,3}(?:not\\s{1,3}able|unable))";

const REFUSAL = new RegExp(
  [
    // "I can't help with that", "I won't be able to assist"; not "I can't help but notice".
    `\\bI\\s{0,3}${CANT}\\s{1,3}(?:be\\s{1,3}able\\s{1,3}to\\s{1,3}|to\\s{1,3})?${VERB}\\b(?!\\s{1,3}but\\b)`,
    // "I'm sorry, but I can't …", "Sorry, I'm unable to …"
    `\\bsorry\\b[^.!?\\n]{0,40}?\\bI\\s{0,3}(?:'m\\s{1,3})?(?:${CANT}|unable|not\\s{1,3}able)\\b`,
    '\\bI\\s{1,3}(?:must|have\\s{1,3}to|need\\s{1,3}to)\\s{1,3}(?:respectfully\\s{1,3})?(?:decline|refuse)\\b',
    `\\bas\\s{1,3}an\\s{1,3}AI(?:\\s{1,3}(?:language\\s{1,3})?model)?\\b[^.!?\\n]{0,40}?\\b(?:can(?:no|')?t|cannot|unable|don't|do\\s{1,3}not)\\b`,
    "\\b(?:I'm|I\\s{1,3}am)\\s{1,3}not\\s{1,3}(?:able|allowed|permitted)\\s{1,3}to\\b",
    "\\bthat(?:'s|\\s{1,3}is)\\s{1,3}not\\s{1,3}something\\s{1,3}I\\s{1,3}can\\b",
  ].join('|'),
  'i',
);

export interface RefusalMatch {
  readonly start: number;
  readonly end: number;
  /** The words that read as a refusal, for a reason sentence. */
  readonly phrase: string;
}

/** The refusal phrase that opens the text, if any. Curly apostrophes count as straight ones. */
export function detectRefusal(text: string): RefusalMatch | undefined {
  // Same length replacement: offsets into the normalised text are offsets into the original.
  const opening = text.slice(0, OPENING_CHARS).replace(/[\u2018\u2019\u02bc]/g, "'");
  const m = REFUSAL.exec(opening);
  if (m === null) return undefined;
  return { start: m.index, end: m.index + m[0].length, phrase: text.slice(m.index, m.index + m[0].length) };
}
