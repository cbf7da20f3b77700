import type { GUARDRAIL_CHECKS, ProjectConfig } from '../spec/project-schema.js';

/** The checks a guardrail policy may run: `profanity | pii | secrets | injection | length`. */
export type GuardrailCheckName = (typeof GUARDRAIL_CHECKS)[number];
/** What a policy does with a hit: refuse the text, replace the finding, or only record it. */
export type GuardrailAction = 'block' | 'redact' | 'flag';

/** One check of a policy as `ballast.yaml` writes it (after defaults). */
export type GuardrailCheckSpec = ProjectConfig['guardrails'][string]['input'][number];

/** A check to run: the policy entry, or just its name (`length` needs `max_chars`). */
export interface GuardrailCheck {
  readonly check: GuardrailCheckName;
  readonly max_chars?: number;
}

/** Something a check found: `text.slice(start, end)` (UTF-16 offsets, end exclusive). */
export interface Finding {
  readonly check: GuardrailCheckName;
  readonly start: number;
  readonly end: number;
  /** What kind of thing it is (`email`, `card`, `openai-key`, …); redaction shows it. */
  readonly label: string;
}

export interface CheckResult {
  readonly hit: boolean;
  /** Sorted by start; they never overlap within one check. */
  readonly findings: readonly Finding[];
  /** The text with each finding replaced by `[REDACTED:label]`. */
  readonly redacted: string;
}

export const redactionMarker = (label: string): string => `[REDACTED:${label}]`;

/** Sorted by start, then longest first: the order redaction and reports expect. */
export function sortFindings<T extends Finding>(findings: readonly T[]): T[] {
  return [...findings].sort((a, b) => a.start - b.start || b.end - a.end);
}

/**
 * Replaces findings with markers. Overlapping findings (a card number that is also caught by
 * the secrets check's generic rule) are merged into one marker, labelled by the one that starts
 * first, so no fragment of either survives between two markers.
 */
export function redact(text: string, findings: readonly Finding[]): string {
  if (findings.length === 0) return text;
  let out = '';
  let at = 0;
  for (const f of sortFindings(findings)) {
    if (f.end <= at) continue;
    if (f.start >= at) {
      out += text.slice(at, f.start) + redactionMarker(f.label);
    }
    at = Math.max(at, f.end);
  }
  return out + text.slice(at);
}

/**
 * Keeps findings that do not overlap one already kept, in the order given: detectors list their
 * most specific rules first, so a card number is not reported again as a phone number.
 */
export function withoutOverlaps<T extends Finding>(findings: readonly T[]): T[] {
  const kept: T[] = [];
  for (const f of findings) {
    if (!kept.some((k) => f.start < k.end && k.start < f.end)) kept.push(f);
  }
  return sortFindings(kept);
}

/** Runs a global regular expression over the text, one callback per match (lastIndex managed). */
export function eachMatch(
  re: RegExp,
  text: string,
  onMatch: (match: RegExpExecArray) => number | undefined,
): void {
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    // A callback may move on past a validated finding, or back to just after the match start
    // when a greedy candidate failed validation and a shorter one could start inside it.
    const next = onMatch(m);
    re.lastIndex = next ?? (m[0].length === 0 ? m.index + 1 : re.lastIndex);
  }
}
