import { type ActionedFinding, applyGuardrails, type GuardrailRule } from './check-text.js';

/**
 * Output guardrails over the arguments of the tool calls a model made (issue #5): a model can put
 * an e-mail address or a key into a function call's arguments as easily as into its text.
 *
 * The arguments are checked as text — the JSON the model wrote — with every rule of the output
 * policy but `length`, which limits the text answer. A redaction replaces the match with
 * `[REDACTED:label]`, which needs no escaping inside a JSON string, so arguments that were valid
 * JSON stay valid when a match lies inside one string value (the usual case: an address, a
 * number, a key). Only OpenAI-shaped function calls (`{function: {arguments}}`, which the
 * providers also make of Anthropic's `tool_use` blocks) are checked; any other entry passes as it is.
 */

/** The rules that apply to tool-call arguments: all but `length`. */
export function toolArgumentRules(rules: readonly GuardrailRule[]): readonly GuardrailRule[] {
  return rules.filter((r) => r.check !== 'length');
}

export interface ToolCallsOutcome {
  /** A `block` check found something in some call's arguments. */
  readonly blocked: boolean;
  /** Every finding over all calls (offsets are within each call's arguments). */
  readonly findings: readonly ActionedFinding[];
  /** The calls, with redacted arguments where a `redact` check hit; the same array when none did. */
  readonly toolCalls: readonly unknown[];
}

export function checkToolCalls(
  toolCalls: readonly unknown[],
  rules: readonly GuardrailRule[],
): ToolCallsOutcome {
  const argumentRules = toolArgumentRules(rules);
  const findings: ActionedFinding[] = [];
  if (argumentRules.length === 0) return { blocked: false, findings, toolCalls };
  let blocked = false;
  let changed = false;
  const checked = toolCalls.map((call) => {
    const fn = functionOf(call);
    if (fn === undefined) return call;
    const outcome = applyGuardrails(fn.arguments, argumentRules);
    findings.push(...outcome.findings);
    if (outcome.blocked) blocked = true;
    if (outcome.text === fn.arguments) return call;
    changed = true;
    return { ...(call as object), function: { ...fn, arguments: outcome.text } };
  });
  return { blocked, findings, toolCalls: changed ? checked : toolCalls };
}

function functionOf(call: unknown): { readonly arguments: string } | undefined {
  if (typeof call !== 'object' || call === null) return undefined;
  const fn = (call as { function?: unknown }).function;
  if (typeof fn !== 'object' || fn === null) return undefined;
  const args = (fn as { arguments?: unknown }).arguments;
  return typeof args === 'string' ? (fn as { arguments: string }) : undefined;
}
