import { existsSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CustomScorerFn, ScorerModules } from '../../app/ports/scorer-modules.js';
import { BallastError } from '../../core/errors.js';

const NAMES = ['default', 'score', 'scorer'] as const;

/**
 * Loads custom scorers from modules relative to the project: a `.js`/`.mjs`/`.cjs` module through
 * Node's own import, a `.ts`/`.mts` one through tsx when it is installed. The scorer is the default
 * export, or an export named `score` or `scorer`.
 */
export function projectScorerModules(rootDir: string): ScorerModules {
  return {
    async load(modulePath) {
      const path = resolve(rootDir, modulePath);
      if (!existsSync(path))
        throw new BallastError('BALLAST_ERR_USAGE', `custom scorer module not found: ${path}`);
      const ext = extname(path);
      let mod: Record<string, unknown>;
      try {
        if (ext === '.ts' || ext === '.mts' || ext === '.cts') {
          const api = (await import('tsx/esm/api' as string).catch(() => undefined)) as
            | { tsImport: (specifier: string, parent: string) => Promise<Record<string, unknown>> }
            | undefined;
          if (!api) {
            throw new BallastError(
              'BALLAST_ERR_USAGE',
              `${modulePath} is TypeScript: install tsx (npm i -D tsx) or compile it to .mjs`,
            );
          }
          mod = await api.tsImport(pathToFileURL(path).href, import.meta.url);
        } else {
          mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
        }
      } catch (error) {
        if (error instanceof BallastError) throw error;
        throw new BallastError(
          'BALLAST_ERR_USAGE',
          `custom scorer ${modulePath} failed to load: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
      for (const name of NAMES) {
        const candidate =
          name === 'default' && typeof mod.default === 'object'
            ? (mod.default as Record<string, unknown>).default
            : mod[name];
        if (typeof candidate === 'function') return candidate as CustomScorerFn;
        if (typeof mod[name] === 'function') return mod[name] as CustomScorerFn;
      }
      throw new BallastError(
        'BALLAST_ERR_USAGE',
        `custom scorer ${modulePath} exports no function (expected a default export, or one named score or scorer)`,
      );
    },
  };
}
