import type { ModelRegistry } from '../app/ports/model-registry.js';
import type { ProjectFiles } from '../app/ports/project-files.js';
import type { EnvSnapshot } from '../config/env.js';
import type { LoadedProject } from '../config/load-project.js';
import type { CacheMode } from '../core/provider/cache-mode.js';
import type { Io } from './io.js';

export interface MigrationStatusView {
  readonly dialect: string;
  readonly url: string;
  readonly applied: readonly { name: string; executedAt: string }[];
  readonly pending: readonly string[];
}

/** What commands need from the outside world; src/main provides the real ones. */
export interface CliDeps {
  readonly cwd: string;
  readonly env: EnvSnapshot;
  readonly io: Io;
  readonly version: string;
  files(root: string): ProjectFiles;
  /** The project's models, one per variant; the store is opened only when the cache is used. */
  openModels(project: LoadedProject, options: { cache: CacheMode; storeUrl: string }): Promise<ModelRegistry>;
  readonly db: {
    migrate(url: string): Promise<readonly string[]>;
    status(url: string): Promise<MigrationStatusView>;
  };
}
