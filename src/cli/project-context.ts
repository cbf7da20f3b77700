import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { findConfig, type LoadedProject, loadProject } from '../config/load-project.js';
import { resolveStoreUrl } from '../config/store-url.js';
import type { CliDeps } from './deps.js';
import { countLine, printDiagnostics } from './diagnostics-view.js';
import { EXIT } from './exit-codes.js';

export class CommandExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

/** The project file to use, or exit 2 with a message saying how to get one. */
export function configPathOrExit(deps: CliDeps, configFlag: string | undefined): string {
  const path = findConfig(deps.cwd, configFlag);
  if (path === undefined) {
    deps.io.err(
      'No ballast.yaml in this folder or above it. Run `ballast init` to create a project, or pass --config FILE.',
    );
    throw new CommandExit(EXIT.USAGE);
  }
  if (configFlag !== undefined && !existsSync(path)) {
    deps.io.err(`--config: no such file: ${path}`);
    throw new CommandExit(EXIT.USAGE);
  }
  return path;
}

/**
 * Loads ballast.yaml (or --config); prints the problems and stops with exit 2 when it is invalid.
 * With `projectFileOnly`, problems in change specs do not stop commands that never read them
 * (a typo in a change must not block `ballast db migrate`).
 */
export function requireProject(
  deps: CliDeps,
  configFlag: string | undefined,
  options: { projectFileOnly?: boolean } = {},
): LoadedProject {
  const project = loadProject(configPathOrExit(deps, configFlag), deps.env, deps.cwd);
  const projectFileErrors = project.diagnostics.some(
    (d) => d.severity === 'error' && resolve(deps.cwd, d.file) === project.configPath,
  );
  const usable = options.projectFileOnly ? project.project !== undefined && !projectFileErrors : project.ok;
  if (!usable) {
    printDiagnostics(deps.io, project.diagnostics);
    deps.io.err(
      `${project.configPath}: invalid project (${countLine(project.diagnostics)}); run \`ballast validate\``,
    );
    throw new CommandExit(EXIT.USAGE);
  }
  return project;
}

/** The store a command uses: --db, BALLAST_DB, the project's `store`, or the default in this folder. */
export function storeUrlFor(deps: CliDeps, flags: { db?: string; config?: string }): string {
  if (flags.db || deps.env.BALLAST_DB)
    return resolveStoreUrl({ flag: flags.db, env: deps.env, cwd: deps.cwd });
  const hasProject = findConfig(deps.cwd, flags.config) !== undefined;
  if (!hasProject) return resolveStoreUrl({ env: deps.env, cwd: deps.cwd });
  const project = requireProject(deps, flags.config, { projectFileOnly: true });
  return resolveStoreUrl({
    env: deps.env,
    projectStore: project.project?.store,
    projectDir: project.rootDir,
    cwd: deps.cwd,
  });
}
