import { BallastError } from '../errors.js';
import { detectInjection } from './detect-injection.js';
import { detectPii } from './detect-pii.js';
import { detectProfanity } from './detect-profanity.js';
import { detectSecrets } from './detect-secrets.js';
import {
  type CheckResult,
  type Finding,
  type GuardrailAction,
  type GuardrailCheck,
  type GuardrailCheckName,
  redact,
  redactionMarker,
  sortFindings,
} from './finding.js';

/** The detectors behind each check; `length` is not a pattern and is handled on its own. */
export const DETECTORS: Readonly<Record<Exclude<GuardrailCheckName, 'length'>, (text: string) => Finding[]>> =
  {
    profanity: detectProfanity,
    pii: detectPii,
    secrets: detectSecrets,
    injection: detectInjection,
  };

/** Runs one check over a text: what it found, and the text with those findings redacted. */
export function checkText(text: string, check: GuardrailCheck | GuardrailCheckName): CheckResult {
  const spec: GuardrailCheck = typeof check === 'string' ? { check } : check;
  if (spec.check === 'length') {
    const finding = lengthFinding(text, spec.max_chars);
    if (finding === undefined) return { hit: false, findings: [], redacted: text };
    return {
      hit: true,
      findings: [finding],
      redacted: text.slice(0, finding.start) + redactionMarker('length'),
    };
  }
  const findings = DETECTORS[spec.check](text);
  return { hit: findings.length > 0, findings, redacted: redact(text, findings) };
}

/**
 * Over-long text: the part past `max_chars`. Counted in UTF-16 code units, like every offset
 * here, but never splitting a surrogate pair, so a cut emoji does not leave half a character.
 */
export function lengthFinding(text: string, maxChars: number | undefined): Finding | undefined {
  if (maxChars === undefined) {
    throw new BallastError('BALLAST_ERR_CONFIG', 'guardrail check "length" needs max_chars');
  }
  if (text.length <= maxChars) return undefined;
  const high = text.charCodeAt(maxChars - 1);
  const start = maxChars > 0 && high >= 0xd800 && high <= 0xdbff ? maxChars - 1 : maxChars;
  return { check: 'length', start, end: text.length, label: 'length' };
}

/** A check of a policy with what to do about a hit. */
export interface GuardrailRule extends GuardrailCheck {
  readonly action: GuardrailAction;
}

export interface ActionedFinding extends Finding {
  readonly action: GuardrailAction;
}

export interface GuardrailOutcome {
  /** A check whose action is `block` found something: the text must not pass. */
  readonly blocked: boolean;
  /** Every finding, with the action of the check that made it, sorted by start. */
  readonly findings: readonly ActionedFinding[];
  /** The text with the findings of `redact` checks replaced; `flag` findings are left in place. */
  readonly text: string;
}

/**
 * Applies a policy's checks (the gateway's input or output side) to a whole text. Findings of
 * `flag` checks are only reported; `redact` ones are replaced; any `block` finding blocks.
 */
/** Whether a guardrail changed the text: some finding was redacted (or, for length, cut). */
export function redactedAny(findings: readonly Pick<ActionedFinding, 'action'>[]): boolean {
  return findings.some((f) => f.action === 'redact');
}

export function applyGuardrails(text: string, rules: readonly GuardrailRule[]): GuardrailOutcome {
  const findings: ActionedFinding[] = [];
  for (const rule of rules) {
    for (const f of checkText(text, rule).findings) findings.push({ ...f, action: rule.action });
  }
  const sorted = sortFindings(findings);
  return {
    blocked: sorted.some((f) => f.action === 'block'),
    findings: sorted,
    text: redactText(
      text,
      sorted.filter((f) => f.action === 'redact'),
    ),
  };
}

/** Redaction where a `length` finding truncates (one marker for everything past the limit). */
export function redactText(text: string, findings: readonly Finding[]): string {
  const cut = findings.find((f) => f.check === 'length');
  if (cut === undefined) return redact(text, findings);
  const head = redact(
    text.slice(0, cut.start),
    findings
      .filter((f) => f.check !== 'length' && f.start < cut.start)
      .map((f) => ({ ...f, end: Math.min(f.end, cut.start) })),
  );
  return head + redactionMarker('length');
}
