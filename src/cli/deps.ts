import type { ModelRegistry } from '../app/ports/model-registry.js';
import type { ProjectFiles } from '../app/ports/project-files.js';
import type { EnvSnapshot } from '../config/env.js';
import type { LoadedProject } from '../config/load-project.js';
import type { EvalReport } from '../core/eval/report-schema.js';
import type { CacheMode } from '../core/provider/cache-mode.js';
import type { Progress } from './progress.js';

/** What `ballast eval` asks of the composition root, in the command line's terms. */
export interface EvalOptions {
  /** A change id or the path of its spec. */
  readonly change: string;
  readonly storeUrl: string;
  readonly datasets: readonly string[];
  readonly repeats?: number;
  readonly concurrency: number;
  readonly cache: CacheMode;
  readonly limit?: number;
  readonly filter: readonly string[];
  readonly shard?: { readonly index: number; readonly count: number };
  readonly resume?: string;
  readonly baselineRun?: string;
  readonly seed: number;
  readonly perturb: readonly string[];
  readonly inconclusive: 'pass' | 'fail' | null;
  /** The variant that grades promptfoo llm-rubric assertions (default: the change's offline.judge). */
  readonly judge?: string;
  /** `--merge`: completed runs whose cases get one verdict (no model calls); empty otherwise. */
  readonly merge: readonly string[];
  /** The report lists every case (`--json`, `--out`, `--junit` read the list); default true. */
  readonly perCase?: boolean;
}

import type { Io } from './io.js';

export interface MigrationStatusView {
  readonly dialect: string;
  readonly url: string;
  readonly applied: readonly { name: string; executedAt: string }[];
  readonly pending: readonly string[];
}

export interface ServeCliOptions {
  readonly storeUrl: string;
  readonly host?: string;
  readonly port?: number;
}

export interface ServingGateway {
  readonly url: string;
  /** No API keys configured: bound to loopback only. */
  readonly open: boolean;
  readonly refusedHost?: string;
  /** The store, with any password masked. */
  readonly store: string;
  close(): Promise<void>;
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
  /** Runs an evaluation end to end (store, models, datasets) and returns its report. */
  evaluate(project: LoadedProject, options: EvalOptions, progress: Progress): Promise<EvalReport>;
  /** Writes the report files asked for; returns their paths. */
  writeReport(
    report: EvalReport,
    paths: { json?: string; junit?: string; markdown?: string },
  ): Promise<readonly string[]>;
  /** Starts the gateway (`ballast serve`); resolves once it listens. */
  serve(project: LoadedProject, options: ServeCliOptions): Promise<ServingGateway>;
  /** Resolves with the signal's name on SIGINT or SIGTERM. */
  untilSignal(): Promise<string>;
  /** One HTTP request with a JSON answer (the admin API); rejects when the server cannot be reached. */
  http(
    url: string,
    init: { method: string; headers: Record<string, string>; body?: string },
  ): Promise<{ status: number; body: unknown }>;
  /** The decision log from the store, oldest first. */
  readDecisions(storeUrl: string, filter: { changeId?: string }): Promise<readonly unknown[]>;
  readonly db: {
    migrate(url: string): Promise<readonly string[]>;
    status(url: string): Promise<MigrationStatusView>;
  };
}
