import { isAbsolute, resolve } from 'node:path';
import type { EnvSnapshot } from './env.js';

export const DEFAULT_STORE = 'sqlite:.ballast/ballast.db';

/**
 * Which database a command uses: --db, else BALLAST_DB, else the project's `store`, else the
 * default. A relative SQLite path is relative to the project folder (or the working folder
 * when it comes from a flag or the environment, as a person typing it would expect).
 */
export function resolveStoreUrl(options: {
  flag?: string | undefined;
  env: EnvSnapshot;
  projectStore?: string | undefined;
  projectDir?: string | undefined;
  cwd: string;
}): string {
  const { flag, env, projectStore, projectDir, cwd } = options;
  if (flag) return absoluteSqlite(flag, cwd);
  if (env.BALLAST_DB) return absoluteSqlite(env.BALLAST_DB, cwd);
  return absoluteSqlite(projectStore ?? DEFAULT_STORE, projectDir ?? cwd);
}

function absoluteSqlite(url: string, base: string): string {
  if (!url.startsWith('sqlite:')) return url;
  const path = url.slice('sqlite:'.length);
  if (path === ':memory:' || isAbsolute(path)) return url;
  return `sqlite:${resolve(base, path)}`;
}
