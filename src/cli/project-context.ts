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

/** Loads ballast.yaml (or --config); prints the problems and stops with exit 2 when it is invalid. */
export function requireProject(deps: CliDeps, configFlag: string | undefined): LoadedProject {
  const path = findConfig(deps.cwd, configFlag);
  if (path === undefined) {
    deps.io.err(
      'No ballast.yaml in this folder. Run `ballast init` to create a project, or pass --config FILE.',
    );
    throw new CommandExit(EXIT.USAGE);
  }
  const project = loadProject(path, deps.env, deps.cwd);
  if (!project.ok) {
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
  const project = requireProject(deps, flags.config);
  return resolveStoreUrl({
    env: deps.env,
    projectStore: project.project?.store,
    projectDir: project.rootDir,
    cwd: deps.cwd,
  });
}
