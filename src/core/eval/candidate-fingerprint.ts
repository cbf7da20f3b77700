import { contentHash } from '../hash/content-hash.js';
import type { ProjectConfig } from '../spec/project-schema.js';

/**
 * What a variant answers with, as a short hash: its provider and model, its sampling params, its
 * simulator profile and its system prompt's text. Stored with an eval run, it lets `rollout start`
 * tell whether the run that passed evaluated the candidate as it is now (a prompt edited since,
 * another model) — keys, timeouts, fallbacks and guardrails leave it unchanged.
 */
export function candidateFingerprint(
  project: Pick<ProjectConfig, 'variants'>,
  systemPrompts: Readonly<Record<string, string>>,
  variant: string,
): string | null {
  const v = project.variants[variant];
  if (v === undefined) return null;
  return contentHash(
    JSON.stringify({
      provider: v.provider,
      model: v.model,
      params: v.params,
      sim: v.sim ?? null,
      prompt: systemPrompts[variant] ?? null,
    }),
  );
}
