import { type ActionedFinding, applyGuardrails, type GuardrailRule } from './check-text.js';

/**
 * Output guardrails over the arguments of the tool calls a model made (issue #5): a model can put
 * an e-mail address or a key into a function call's arguments as easily as into its text.
 *
 * The arguments are checked as text — the JSON the model wrote — with every rule of the output
 * policy but `length`, which limits the text answer. A redaction replaces the match with
 * `[REDACTED:label]`, which needs no escaping inside a JSON string, so arguments that were valid
 * JSON stay valid when a match lies inside one string value (the usual case: an address, a
 * number, a key). OpenAI's function calls (`{function: {arguments}}`, which the providers also
 * make of Anthropic's `tool_use` blocks) and custom-tool calls (`{type: 'custom', custom: {input}}`,
 * free text) are checked; any other entry passes as it is.
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
    const text = checkedText(call);
    if (text === undefined) return call;
    const outcome = applyGuardrails(text.value, argumentRules);
    findings.push(...outcome.findings);
    if (outcome.blocked) blocked = true;
    if (outcome.text === text.value) return call;
    changed = true;
    return text.replacedBy(outcome.text);
  });
  return { blocked, findings, toolCalls: changed ? checked : toolCalls };
}

/** Where a call's model-written text is: a function call's arguments, or a custom call's input. */
const TEXT_FIELDS = [
  ['function', 'arguments'],
  ['custom', 'input'],
] as const;

/** The text of a call the checks read, and the call with that text replaced. */
function checkedText(call: unknown): { value: string; replacedBy(text: string): unknown } | undefined {
  if (typeof call !== 'object' || call === null) return undefined;
  for (const [field, key] of TEXT_FIELDS) {
    const inner = (call as Record<string, unknown>)[field];
    if (typeof inner !== 'object' || inner === null) continue;
    const value = (inner as Record<string, unknown>)[key];
    if (typeof value !== 'string') continue;
    return { value, replacedBy: (text) => ({ ...call, [field]: { ...inner, [key]: text } }) };
  }
  return undefined;
}
