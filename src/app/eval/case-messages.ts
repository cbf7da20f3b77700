import { renderTemplate } from '../../core/eval/template.js';
import type { EvalCase } from '../../core/eval/types.js';
import type { ChatMessage } from '../../core/provider/chat.js';
import { lastUserText } from '../../core/sim/sim-text.js';

/** A case's template variables: its own vars, plus `input` and `reference` for scorer values. */
export function caseVars(c: EvalCase): Readonly<Record<string, string>> {
  const input = typeof c.input === 'string' ? c.input : lastUserText(c.input);
  // `reference` is defined only when the case has one: a scorer comparing with it then fails with
  // "unknown variable" on a case without one, instead of passing against an empty string.
  return { ...c.vars, input, ...(c.reference === undefined ? {} : { reference: c.reference }) };
}

export function renderText(text: string, vars: Readonly<Record<string, string>>): string {
  return renderTemplate(text, vars).text;
}

/** The messages that open a case: a question becomes one user message; a history is kept, rendered. */
export function caseMessages(c: EvalCase, vars: Readonly<Record<string, string>>): ChatMessage[] {
  if (typeof c.input === 'string') return [{ role: 'user', content: renderText(c.input, vars) }];
  return c.input.map((m) =>
    typeof m.content === 'string' ? { ...m, content: renderText(m.content, vars) } : m,
  );
}
