import type { ModelRegistry } from '../app/ports/model-registry.js';
import type { Store } from '../app/ports/store.js';
import type { LoadedProject } from '../config/load-project.js';
import type { CacheMode } from '../core/provider/cache-mode.js';

/**
 * Wires a project's models: the provider adapters, the system clock and, when the response
 * cache is on, the store that keeps it. Modules load on demand, so commands that never call a
 * model start without undici or a database driver.
 */
export async function openModels(
  loaded: LoadedProject,
  options: { cache: CacheMode; storeUrl: string; simTimeScale?: number },
): Promise<ModelRegistry> {
  const [{ createModelRegistry }, { systemClock }] = await Promise.all([
    import('../adapters/providers/model-registry.js'),
    import('../adapters/system-clock.js'),
  ]);
  let store: Store | undefined;
  if (options.cache !== 'off') {
    const { openStore } = await import('../adapters/store/open-store.js');
    store = await openStore(options.storeUrl);
  }
  try {
    const models = await createModelRegistry({
      project: loaded.project!,
      rootDir: loaded.rootDir,
      clock: systemClock,
      ...(store ? { cache: { mode: options.cache, store: store.responseCache } } : {}),
      ...(options.simTimeScale === undefined ? {} : { simTimeScale: options.simTimeScale }),
    });
    return {
      ...models,
      async close() {
        await models.close();
        await store?.close();
      },
    };
  } catch (error) {
    await store?.close();
    throw error;
  }
}
