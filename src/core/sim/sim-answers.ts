import { pick } from '../hash/distributions.js';
import type { Random } from '../hash/random.js';

/**
 * The texts the simulator says when it does not simply answer with the reference: refusals,
 * unsafe additions, plausible wrong answers and generic answers. They are written so that the
 * scorers and guardrails Ballast ships have something real to catch: a refusal reads like one,
 * an unsafe output carries a real-looking e-mail, phone or card number or a swear word.
 */

export const SIM_REFUSALS: readonly string[] = [
  "I'm sorry, but I can't help with that.",
  "I'm sorry, I can't assist with that request.",
  "I can't help with that request, sorry.",
];

export type SimUnsafeKind = 'email' | 'phone' | 'card' | 'profanity';

export interface SimUnsafeSnippet {
  readonly kind: SimUnsafeKind;
  /** Which guardrail check should catch it. */
  readonly check: 'pii' | 'profanity';
  readonly text: string;
}

/** 4111 1111 1111 1111 is the well-known Visa test number: it passes the Luhn check. */
export const SIM_UNSAFE_SNIPPETS: readonly SimUnsafeSnippet[] = [
  { kind: 'email', check: 'pii', text: 'You can also write to our agent directly at jane.doe@example.com.' },
  { kind: 'phone', check: 'pii', text: 'If that fails, call Mark on his personal line, +1 415 555 0134.' },
  { kind: 'card', check: 'pii', text: 'I can see the card on file, 4111 1111 1111 1111, expiring 09/28.' },
  { kind: 'profanity', check: 'profanity', text: 'Honestly, this damn settings page is a load of shit.' },
];

/** Menu names a swapped or replaced menu path may use. */
const MENU_WORDS = [
  'Settings',
  'Account',
  'Profile',
  'Security',
  'Billing',
  'Plans',
  'Team',
  'Members',
  'Privacy',
  'Preferences',
  'Notifications',
  'Integrations',
  'Advanced',
  'General',
];

/** Confident, plausible and wrong: what a model says when it does not know but will not admit it. */
const DEFLECTIONS = [
  'That cannot be changed from your side; contact support and they will do it for you.',
  'You will find it under Settings > General > Advanced.',
  'This is only available on the Enterprise plan.',
  'That happens automatically within 24 hours; there is nothing you need to do.',
];

const GENERIC_TEMPLATES = [
  (topic: string) =>
    `Thanks for asking about "${topic}". In most cases you can do this from the Settings page; if it does not work for you, I can open a support ticket.`,
  (topic: string) =>
    `Here is what I can tell you about "${topic}": open the relevant section from the main menu and follow the steps on screen. Let me know if you need more detail.`,
  (topic: string) =>
    `Good question. For "${topic}", the answer depends on your plan and settings; the help centre has a step-by-step guide.`,
];

/**
 * A wrong answer that resembles the reference, so that similarity scorers give partial credit
 * and exact or containment scorers fail: a menu path with one name replaced or two names swapped,
 * a number changed, a yes turned into a no; otherwise, or now and then, a confident deflection.
 * Always different from the reference.
 */
export function wrongAnswer(reference: string, random: Random): string {
  const edits = [menuEdit(reference, random), numberEdit(reference, random), yesNoEdit(reference)].filter(
    (e): e is string => e !== undefined && e !== reference,
  );
  const deflect = random() < 0.2 || edits.length === 0;
  const chosen = deflect
    ? pick(
        random,
        DEFLECTIONS.filter((d) => d !== reference),
      )
    : pick(random, edits);
  return chosen ?? `${reference} (not applicable to your plan)`;
}

/** A deterministic, on-topic but content-free answer for a question nobody gave a reference for. */
export function genericAnswer(question: string, random: Random): string {
  const flat = question
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[?.!]+$/, '');
  const topic = flat.length === 0 ? 'your request' : flat.length > 80 ? `${flat.slice(0, 77)}...` : flat;
  const template = pick(random, GENERIC_TEMPLATES) ?? GENERIC_TEMPLATES[0]!;
  return template(topic);
}

/**
 * A menu path is "A > B > … > Z …": the last word before the first " > " (Settings in "Open
 * Settings > …"), every whole segment between two " > " (API keys, Payment method), and the
 * first word after the last one. Swap two adjacent leading segments (not the final item, which
 * usually runs into the sentence), or replace one segment by a menu name the path does not use.
 */
function menuEdit(reference: string, random: Random): string | undefined {
  const parts = reference.split(' > ');
  if (parts.length < 2) return undefined;
  const spots: { at: number; word: string }[] = [];
  let offset = 0;
  parts.forEach((part, i) => {
    const match =
      i === 0
        ? /[\p{L}\p{N}-]+$/u.exec(part)
        : i === parts.length - 1
          ? /^[\p{L}\p{N}-]+/u.exec(part)
          : /^.+$/u.exec(part);
    if (match !== null) spots.push({ at: offset + match.index, word: match[0] });
    offset += part.length + 3;
  });
  // The segments a swap may move: all but the final item, when there are at least two of them.
  const leading = spots.slice(0, parts.length - 1);
  if (leading.length >= 2 && random() < 0.5) {
    const i = Math.floor(random() * (leading.length - 1));
    const a = leading[i]!;
    const b = leading[i + 1]!;
    if (a.word === b.word) return undefined;
    const between = reference.slice(a.at + a.word.length, b.at);
    return reference.slice(0, a.at) + b.word + between + a.word + reference.slice(b.at + b.word.length);
  }
  const spot = pick(random, leading.length >= 2 ? leading : spots);
  const used = new Set(spots.map((s) => s.word));
  const replacement = pick(
    random,
    MENU_WORDS.filter((w) => !used.has(w)),
  );
  if (spot === undefined || replacement === undefined) return undefined;
  return reference.slice(0, spot.at) + replacement + reference.slice(spot.at + spot.word.length);
}

/** One number changed to a nearby but different one: 14 → 28, 30 → 60, 6 → 7, 99.9 → 99.5. */
function numberEdit(reference: string, random: Random): string | undefined {
  // Stand-alone numbers only: the 2 in "2FA" or "B2B" is part of a name.
  const numbers = [...reference.matchAll(/(?<![\p{L}\d.])\d+(?:\.\d+)?(?![\p{L}\d])/gu)];
  const target = pick(random, numbers);
  if (target === undefined) return undefined;
  const value = Number(target[0]);
  const options = Number.isInteger(value)
    ? [value * 2, value + 1, value > 1 ? Math.round(value / 2) : value + 2, value + 10]
    : [Math.round(value * 10 - 4) / 10, Math.round(value * 10 + 1) / 10];
  const replacement = pick(
    random,
    options.filter((o) => o !== value && o >= 0),
  );
  if (replacement === undefined) return undefined;
  return (
    reference.slice(0, target.index) + String(replacement) + reference.slice(target.index + target[0].length)
  );
}

function yesNoEdit(reference: string): string | undefined {
  if (/^Yes\b/.test(reference)) return reference.replace(/^Yes\b/, 'No');
  if (/^No\b/.test(reference)) return reference.replace(/^No\b/, 'Yes');
  return undefined;
}
