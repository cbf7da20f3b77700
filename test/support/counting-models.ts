import type { ModelRegistry } from '../../src/app/ports/model-registry.js';

/** Wraps a registry to record every complete() call: which variant, and how many messages it carried. */
export function countingModels(models: ModelRegistry) {
  const calls: { variant: string; messages: number }[] = [];
  const registry: ModelRegistry = {
    ...models,
    forVariant(variant: string) {
      const inner = models.forVariant(variant);
      return {
        ...inner,
        complete: (...args: Parameters<typeof inner.complete>) => {
          calls.push({ variant, messages: args[0].messages.length });
          return inner.complete(...args);
        },
      };
    },
  };
  const count = (variant: string) => calls.filter((c) => c.variant === variant).length;
  return { calls, count, registry };
}
