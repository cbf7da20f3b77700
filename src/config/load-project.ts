import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { analyseProject, type ProjectAnalysis, type SourceFile } from '../core/spec/analyse-project.js';
import { filePathOf } from '../core/spec/cross-check.js';
import { MAX_SOURCE_BYTES, tooLarge } from '../core/spec/yaml-source.js';

const EMPTY = new Uint8Array(0);

export const CONFIG_NAMES = ['ballast.yaml', 'ballast.yml'] as const;

export interface LoadedProject extends ProjectAnalysis {
  /** Absolute path of ballast.yaml. */
  readonly configPath: string;
  /** The folder relative paths in ballast.yaml are resolved against. */
  readonly rootDir: string;
  /** Each variant's system prompt text, read from `file:` paths once here; absent when it has none. */
  readonly systemPrompts: Readonly<Record<string, string>>;
}

/**
 * The file given by --config, else ballast.yaml in `cwd` or the nearest folder above it (as git
 * and npm find their roots, so commands work from `changes/` too). Undefined when there is none.
 */
export function findConfig(cwd: string, explicit?: string): string | undefined {
  if (explicit !== undefined) return resolve(cwd, explicit);
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    for (const name of CONFIG_NAMES) {
      const candidate = join(dir, name);
      if (existsSync(candidate)) return candidate;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** Reads a file for the parser without ever loading more than the size limit plus one byte. */
function readSource(path: string, name: string): SourceFile {
  try {
    const stat = statSync(path);
    if (!stat.isFile()) return { name, bytes: EMPTY, readError: 'is not a file' };
    if (stat.size > MAX_SOURCE_BYTES) return { name, bytes: EMPTY, readError: tooLarge(stat.size) };
    return { name, bytes: readFileSync(path) };
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'file not found' : code === 'EACCES' ? 'permission denied' : String(cause);
    return { name, bytes: EMPTY, readError: why };
  }
}

function listChangeFiles(rootDir: string, changesDir: string, cwd: string): SourceFile[] {
  const dir = resolve(rootDir, changesDir);
  let entries: string[];
  try {
    entries = readdirSync(dir)
      .filter((f) => /\.ya?ml$/i.test(f))
      .sort();
  } catch {
    return [];
  }
  return entries.map((f) => readSource(join(dir, f), displayName(cwd, join(dir, f))));
}

/** Paths as a person in `cwd` would type them, so editors and terminals can open them. */
function displayName(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel.split('\\').join('/');
}

/** Reads and checks a project: ballast.yaml, every change spec, and the files they name. */
export function loadProject(
  configPath: string,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): LoadedProject {
  const rootDir = dirname(configPath);
  const analysis = analyseProject({
    project: readSource(configPath, displayName(cwd, configPath)),
    changes: (changesDir) => listChangeFiles(rootDir, changesDir, cwd),
    env,
    exists: (rel) => {
      try {
        return statSync(resolve(rootDir, rel)).isFile();
      } catch {
        return false;
      }
    },
  });
  return Object.freeze({ ...analysis, configPath, rootDir, systemPrompts: readPrompts(analysis, rootDir) });
}

function readPrompts(analysis: ProjectAnalysis, rootDir: string): Readonly<Record<string, string>> {
  const prompts: Record<string, string> = {};
  for (const [name, variant] of Object.entries(analysis.project?.variants ?? {})) {
    if (variant.system === undefined) continue;
    const file = filePathOf(variant.system);
    if (file === undefined) prompts[name] = variant.system;
    else {
      try {
        prompts[name] = readFileSync(resolve(rootDir, file), 'utf8');
      } catch {
        // A missing prompt file is already a diagnostic from the cross-checks.
      }
    }
  }
  return Object.freeze(prompts);
}
