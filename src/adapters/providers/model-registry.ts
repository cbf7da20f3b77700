import { resolve } from 'node:path';
import { stringify } from 'safe-stable-stringify';
import type { Clock } from '../../app/ports/clock.js';
import type { ModelProvider } from '../../app/ports/model-provider.js';
import type { ModelRegistry } from '../../app/ports/model-registry.js';
import type { ResponseCacheStore } from '../../app/ports/response-cache-store.js';
import { BallastError } from '../../core/errors.js';
import { seededRandom } from '../../core/hash/random.js';
import type { CacheMode } from '../../core/provider/cache-mode.js';
import type { ProjectConfig } from '../../core/spec/project-schema.js';
import { knowledgeFromCases, readDataset } from '../files/read-dataset.js';
import { type CachedProvider, withResponseCache } from './cached-provider.js';
import { type FaultyProvider, withFaults } from './fault-provider.js';
import type { HttpTransportRegistry } from './http-transport.js';
import { createSimProvider } from './sim-provider.js';

export interface ModelRegistryOptions {
  readonly project: ProjectConfig;
  /** Where relative paths in ballast.yaml (knowledge datasets) are resolved. */
  readonly rootDir: string;
  readonly clock: Clock;
  /** `off` unless given; any other mode needs `cacheStore`. */
  readonly cache?: { readonly mode: CacheMode; readonly store: ResponseCacheStore };
  /** Overrides every sim provider's `timeScale` (1 real time, 0 no waiting). */
  readonly simTimeScale?: number;
  /** Seeds retry jitter and fault draws, so a seeded run is reproducible end to end. */
  readonly seed?: number;
}

export interface ProjectModels extends ModelRegistry {
  /** The fault decorator of a variant, to switch faults at run time (drills). */
  faultsOf(variant: string): FaultyProvider;
}

/**
 * Builds one ModelProvider per variant: the provider adapter for its type, then faults, then
 * the response cache (a cache hit skips faults too: it never reaches the network). HTTP pools
 * are shared by every variant of the same provider. Knowledge datasets are read once.
 */
export async function createModelRegistry(options: ModelRegistryOptions): Promise<ProjectModels> {
  const { project, clock } = options;
  // The HTTP stack (undici and the wire formats) loads only when a variant needs it, so a project
  // on the sim starts without it.
  const needsHttp = Object.values(project.variants).some(
    (v) => project.providers[v.provider]?.type !== 'sim',
  );
  const http = needsHttp
    ? await Promise.all([
        import('./http-transport.js'),
        import('./openai-provider.js'),
        import('./anthropic-provider.js'),
      ])
    : undefined;
  const transports: HttpTransportRegistry | undefined = http?.[0].createHttpTransportRegistry();
  const knowledge = new Map<string, ReadonlyMap<string, string>>();
  for (const v of Object.values(project.variants)) {
    if (v.sim.knowledge === undefined || knowledge.has(v.sim.knowledge)) continue;
    const dataset = await readDataset(resolve(options.rootDir, v.sim.knowledge));
    knowledge.set(v.sim.knowledge, knowledgeFromCases(dataset.cases));
  }

  const faulty = new Map<string, FaultyProvider>();
  const served = new Map<string, ModelProvider>();
  const cached: CachedProvider[] = [];
  for (const [name, variant] of Object.entries(project.variants)) {
    const config = project.providers[variant.provider];
    if (!config)
      throw new BallastError(
        'BALLAST_ERR_CONFIG',
        `variant ${name}: provider ${variant.provider} is not defined`,
      );
    const random = seededRandom('retry', options.seed ?? 0, name);
    const common = { name: variant.provider, model: variant.model, clock, random };
    let base: ModelProvider;
    if (config.type === 'sim') {
      const known = variant.sim.knowledge === undefined ? undefined : knowledge.get(variant.sim.knowledge);
      base = createSimProvider({
        providerName: variant.provider,
        provider: config,
        variant: { model: variant.model, sim: variant.sim },
        clock,
        ...(known === undefined ? {} : { knowledge: known }),
        timeScale: options.simTimeScale ?? config.timeScale,
      });
    } else {
      if (!http || !transports)
        throw new BallastError('BALLAST_ERR_INTERNAL', 'HTTP providers were not loaded');
      const [, { createOpenAIProvider }, { createAnthropicProvider }] = http;
      // One pool per provider: its connect timeout is the shortest any of its variants asks for.
      const connectTimeoutMs = Math.min(
        ...Object.values(project.variants)
          .filter((v) => v.provider === variant.provider)
          .map((v) => v.timeouts.connect_ms),
      );
      const transport = transports.lease(variant.provider, {
        maxConcurrency: config.maxConcurrency,
        connectTimeoutMs,
      });
      const httpOptions = { ...common, transport, idleTimeoutMs: config.idleTimeoutMs };
      base =
        config.type === 'openai'
          ? createOpenAIProvider({ ...httpOptions, config })
          : createAnthropicProvider({ ...httpOptions, config });
    }
    const withFault = withFaults(base, {
      profile: variant.faults,
      clock,
      random: seededRandom('faults', variant.faults?.seed ?? 0, options.seed ?? 0, name),
    });
    faulty.set(name, withFault);
    if (options.cache && options.cache.mode !== 'off') {
      // Everything besides the request that decides the answer: the endpoint, or the sim's seed
      // and profile. Without it two sim variants on one model would share cached answers.
      const namespace =
        stringify(
          config.type === 'sim'
            ? { type: 'sim', seed: config.seed, sim: variant.sim }
            : {
                type: config.type,
                baseUrl: config.baseUrl,
                apiVersion: 'apiVersion' in config ? config.apiVersion : null,
              },
        ) ?? '';
      const withCache = withResponseCache(withFault, {
        mode: options.cache.mode,
        store: options.cache.store,
        clock,
        namespace,
      });
      cached.push(withCache);
      served.set(name, withCache);
    } else {
      served.set(name, withFault);
    }
  }

  const get = <T>(map: Map<string, T>, variant: string): T => {
    const found = map.get(variant);
    if (found === undefined) {
      throw new BallastError('BALLAST_ERR_NOT_FOUND', `variant "${variant}" is not defined in ballast.yaml`);
    }
    return found;
  };

  return {
    forVariant: (variant) => get(served, variant),
    faultsOf: (variant) => get(faulty, variant),
    cacheStats() {
      const totals = { hits: 0, misses: 0, writes: 0 };
      for (const p of cached) {
        const s = p.stats();
        totals.hits += s.hits;
        totals.misses += s.misses;
        totals.writes += s.writes;
      }
      const looked = totals.hits + totals.misses;
      return { ...totals, hitRate: looked === 0 ? 0 : totals.hits / looked };
    },
    async close() {
      await Promise.allSettled([...served.values()].map((p) => p.close()));
      await transports?.closeAll();
    },
  };
}
