import type { Usage } from './chat.js';

export type PricingTable = Readonly<Record<string, { readonly input: number; readonly output: number }>>;

/**
 * USD for one call: prices are per 1M tokens, as providers publish them. A model missing from
 * the table costs 0 (and `ballast validate` can warn about it), never NaN.
 */
export function costOf(pricing: PricingTable, model: string, usage: Usage): number {
  const price = pricing[model];
  if (!price) return 0;
  return (usage.inputTokens * price.input + usage.outputTokens * price.output) / 1_000_000;
}
