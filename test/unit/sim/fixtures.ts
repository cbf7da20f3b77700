import type { ChatMessage } from '../../../src/core/provider/chat.js';
import type { SimPlan, SimPlanInput } from '../../../src/core/sim/plan-response.js';
import { type SimProfile, simProfileSchema } from '../../../src/core/spec/sim-profile.js';

/** A profile from ballast.yaml-shaped input, with the schema's defaults filled in. */
export function profile(overrides: Record<string, unknown> = {}): SimProfile {
  return simProfileSchema.parse(overrides);
}

export function ask(question: string, system?: string): ChatMessage[] {
  return [
    ...(system === undefined ? [] : [{ role: 'system' as const, content: system }]),
    { role: 'user', content: question },
  ];
}

export function input(overrides: Partial<SimPlanInput> & { question?: string } = {}): SimPlanInput {
  const { question = 'How do I reset my password?', ...rest } = overrides;
  return {
    providerSeed: 42,
    profile: profile(),
    model: 'sim-large',
    request: { messages: ask(question), params: {} },
    ...rest,
  };
}

export function answered(plan: SimPlan): Extract<SimPlan, { ok: true }> {
  if (!plan.ok) throw new Error(`expected an answer, got a ${plan.kind} failure`);
  return plan;
}

export const RESET_REFERENCE =
  'Open Settings > Security and choose Reset password; a link is emailed to you.';
