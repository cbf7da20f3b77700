import {
  type ActionedFinding,
  applyGuardrails,
  type GuardrailRule,
} from '../../core/guardrail/check-text.js';
import type { ChatMessage, ChatParams } from '../../core/provider/chat.js';
import { type Arm, assign } from '../../core/routing/assign.js';
import type { ProjectConfig, VariantConfig } from '../../core/spec/project-schema.js';
import type { UnitSource } from '../ports/gateway-telemetry.js';
import { type GatewayError, guardrailBlocked, unknownModel } from './gateway-errors.js';
import type { RoutingTable } from './routing-table.js';

export interface GatewayRequest {
  readonly requestId: string;
  /** A route name or a variant name, as the client sent it in `model`. */
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  readonly params: ChatParams;
  readonly unit: string;
  readonly unitSource: UnitSource;
}

/** Who served a request: sent back as x-ballast-* headers and in telemetry. */
export interface Served {
  readonly route: string | null;
  readonly changeId: string | null;
  readonly arm: Arm | null;
  readonly assignedVariant: string;
  /** The variant that answered (or is answering). */
  readonly variant: string;
}

/** What a request will try, in order, and with which messages (after the input guardrails). */
export interface Plan {
  readonly served: Served;
  readonly chain: readonly string[];
  readonly messages: readonly ChatMessage[];
  readonly inputHits: number;
}

/** What the input checks made of one message's content. */
interface CheckedContent {
  readonly content: ChatMessage['content'];
  readonly findings: readonly ActionedFinding[];
}

/**
 * Runs the input checks over a message's text: a string, or each text part of a content array —
 * a part with a string `text` (OpenAI's `{type: "text"}`, and the like), or a bare string, which
 * OpenAI-compatible servers and Ballast's Anthropic mapping read as text. A redaction changes only
 * the text it applies to: the other parts (images, audio, files) stay as they came, in place.
 */
function checkContent(content: ChatMessage['content'], rules: readonly GuardrailRule[]): CheckedContent {
  if (typeof content === 'string') {
    if (content === '') return { content, findings: [] };
    const outcome = applyGuardrails(content, rules);
    return { content: outcome.text, findings: outcome.findings };
  }
  if (!Array.isArray(content)) return { content, findings: [] };
  const findings: ActionedFinding[] = [];
  let changed = false;
  const parts = content.map((part: unknown) => {
    const text =
      typeof part === 'string'
        ? part
        : part !== null && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string'
          ? (part as { text: string }).text
          : undefined;
    if (text === undefined || text === '') return part;
    const outcome = applyGuardrails(text, rules);
    findings.push(...outcome.findings);
    if (outcome.text === text) return part;
    changed = true;
    return typeof part === 'string' ? outcome.text : { ...(part as object), text: outcome.text };
  });
  return { content: changed ? (parts as ChatMessage['content']) : content, findings };
}

export interface PlanContext {
  readonly project: ProjectConfig;
  readonly routing: RoutingTable;
  readonly variantOf: (name: string) => VariantConfig;
  readonly rulesOf: (variant: string, side: 'input' | 'output') => readonly GuardrailRule[];
}

export type Planned =
  | { readonly ok: true; readonly plan: Plan }
  | {
      readonly ok: false;
      readonly error: GatewayError;
      readonly served: Served | null;
      readonly inputHits: number;
    };

/**
 * Routing, the fallback chain and the input guardrails: everything the gateway decides before its
 * first call. Reads the routing snapshot only (no store, no I/O).
 */
export function planRequest(request: GatewayRequest, ctx: PlanContext): Planned {
  let route: string | null = null;
  let assigned: string;
  let arm: Arm | null = null;
  let changeId: string | null = null;
  const routing = ctx.routing.current.routes.get(request.model);
  if (routing) {
    route = request.model;
    const a = assign(routing, request.unit);
    assigned = a.variant;
    arm = a.arm;
    changeId = a.changeId;
  } else if (Object.hasOwn(ctx.project.variants, request.model)) {
    // Own names only: `constructor` or `__proto__` is a model name a client may send, not a variant.
    assigned = request.model;
  } else {
    const known = [...Object.keys(ctx.project.routes), ...Object.keys(ctx.project.variants)];
    return {
      ok: false,
      error: unknownModel(
        `The model \`${request.model}\` does not exist: name a route or a variant (${known.join(', ') || 'none configured'})`,
      ),
      served: null,
      inputHits: 0,
    };
  }
  const chain = [assigned, ...ctx.variantOf(assigned).fallbacks.filter((v) => v !== assigned)];
  // During a rollout the candidate's last resort is always the route's stable variant.
  if (arm === 'candidate' && routing) {
    const stable = routing.stable;
    const at = chain.indexOf(stable);
    if (at !== -1) chain.splice(at, 1);
    chain.push(stable);
  }
  const served: Served = { route, changeId, arm, assignedVariant: assigned, variant: assigned };
  const rules = ctx.rulesOf(assigned, 'input');
  let messages = request.messages;
  let inputHits = 0;
  if (rules.length > 0) {
    const blocked = new Set<string>();
    messages = request.messages.map((m) => {
      if (m.role !== 'user') return m;
      const checked = checkContent(m.content, rules);
      inputHits += checked.findings.length;
      for (const f of checked.findings) if (f.action === 'block') blocked.add(f.check);
      return checked.content === m.content ? m : { ...m, content: checked.content };
    });
    if (blocked.size > 0)
      return { ok: false, error: guardrailBlocked('input', [...blocked]), served, inputHits };
  }
  return { ok: true, plan: { served, chain, messages, inputHits } };
}
