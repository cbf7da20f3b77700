import { applyGuardrails, type GuardrailRule } from '../../core/guardrail/check-text.js';
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

/** Text of a message for the input checks: a string, or the text parts of a content array. */
function textOf(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((p) =>
      p && typeof p === 'object' && (p as { type?: unknown }).type === 'text'
        ? String((p as { text?: unknown }).text ?? '')
        : '',
    )
    .join('\n');
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
      const text = textOf(m.content);
      if (text === '') return m;
      const outcome = applyGuardrails(text, rules);
      inputHits += outcome.findings.length;
      if (outcome.blocked) for (const f of outcome.findings) if (f.action === 'block') blocked.add(f.check);
      return outcome.text === text ? m : { ...m, content: outcome.text };
    });
    if (blocked.size > 0)
      return { ok: false, error: guardrailBlocked('input', [...blocked]), served, inputHits };
  }
  return { ok: true, plan: { served, chain, messages, inputHits } };
}
