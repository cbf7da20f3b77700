import { parse } from 'yaml';
import type { Clock } from '../../../src/app/ports/clock.js';
import type { ModelProvider } from '../../../src/app/ports/model-provider.js';
import { INIT_TEMPLATES } from '../../../src/app/project/init-templates.js';
import type { ChatRequest, StreamEvent } from '../../../src/core/provider/chat.js';
import { type ProjectConfig, projectSchema } from '../../../src/core/spec/project-schema.js';
import { type SimProfile, simProfileSchema } from '../../../src/core/spec/sim-profile.js';

/** The project `ballast init` writes, parsed by the real schema. */
export function exampleProject(): ProjectConfig {
  const yaml = INIT_TEMPLATES.find((t) => t.path === 'ballast.yaml')!.content;
  return projectSchema.parse(parse(yaml));
}

export const EXAMPLE_DATASET = INIT_TEMPLATES.find((t) => t.path === 'datasets/example.jsonl')!.content;

export function simProfile(overrides: Record<string, unknown> = {}): SimProfile {
  return simProfileSchema.parse(overrides);
}

/** Simulated time: every sleep returns at once and moves the clock forward by its length. */
export function virtualClock(): Clock & { readonly slept: number[] } {
  let t = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => 1_700_000_000_000 + t,
    monotonic: () => t,
    sleep: async (ms, signal) => {
      if (signal?.aborted) throw signal.reason;
      slept.push(ms);
      t += ms;
    },
  };
}

export function question(text: string, extra: Partial<ChatRequest> = {}): ChatRequest {
  return { model: 'sim-large', messages: [{ role: 'user', content: text }], params: {}, ...extra };
}

export async function collect(
  provider: ModelProvider,
  request: ChatRequest,
  signal?: AbortSignal,
): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const event of provider.stream(request, signal === undefined ? {} : { signal }))
    events.push(event);
  return events;
}
