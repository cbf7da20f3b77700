import { type ChangeSpec, changeSchema } from './change-schema.js';
import { type ChangeInput, crossCheck } from './cross-check.js';
import { type Diagnostic, formatPath as formatIssuePath, hasErrors, sortDiagnostics } from './diagnostic.js';
import { type ProjectConfig, projectSchema } from './project-schema.js';
import { validateSource } from './validate-source.js';
import { type Env, parseYamlSource, unreadableSource, type YamlSource } from './yaml-source.js';

export interface SourceFile {
  /** The name shown in diagnostics, e.g. `changes/concise-prompt.yaml`. */
  readonly name: string;
  readonly bytes: Uint8Array;
  /** Set when the file could not be read; the text says why. */
  readonly readError?: string;
}

export interface ProjectSources {
  readonly project: SourceFile;
  /** The change spec files in the project's changes folder (named relative to the project). */
  changes(changesDir: string): readonly SourceFile[];
  readonly env: Env;
  /** Whether a path relative to the project folder names an existing file. */
  exists(relativePath: string): boolean;
}

export interface LoadedChange {
  readonly file: string;
  readonly spec: ChangeSpec;
}

export interface ProjectAnalysis {
  /** Present when ballast.yaml itself is valid. */
  readonly project: ProjectConfig | undefined;
  /** The change specs that are valid on their own (cross-file problems are in diagnostics). */
  readonly changes: readonly LoadedChange[];
  readonly diagnostics: readonly Diagnostic[];
  readonly ok: boolean;
}

function readSource(file: SourceFile, env: Env): YamlSource {
  return file.readError === undefined
    ? parseYamlSource(file.name, file.bytes, env)
    : unreadableSource(file.name, file.readError);
}

export function fileStem(name: string): string {
  const base = name.slice(name.lastIndexOf('/') + 1);
  return base.replace(/\.ya?ml$/i, '');
}

/**
 * Parses ballast.yaml and every change spec, then checks the references between them.
 * Pure: the caller reads the files; every problem in every file is reported in one pass.
 */
export function analyseProject(sources: ProjectSources): ProjectAnalysis {
  const diagnostics: Diagnostic[] = [];
  const projectSource = readSource(sources.project, sources.env);
  const project = validateSource(projectSchema, projectSource);
  diagnostics.push(...project.diagnostics);

  const parsed: { source: YamlSource; spec: ChangeSpec }[] = [];
  const changesDir = project.value?.changesDir ?? changesDirOf(projectSource.value);
  for (const file of sources.changes(changesDir)) {
    const source = readSource(file, sources.env);
    const change = validateSource(changeSchema, source);
    diagnostics.push(...change.diagnostics);
    if (change.value) parsed.push({ source, spec: change.value });
  }

  if (project.value) {
    const inputs: ChangeInput[] = parsed.map((p) => ({ stem: fileStem(p.source.file), spec: p.spec }));
    for (const issue of crossCheck(project.value, inputs, sources.exists)) {
      const source = issue.where === 'project' ? projectSource : (parsed[issue.where]?.source as YamlSource);
      const pos = source.locate(issue.path);
      diagnostics.push({
        file: source.file,
        ...pos,
        path: formatIssuePath(issue.path),
        message: issue.message,
        severity: issue.severity,
      });
    }
  }
  const sorted = sortDiagnostics(diagnostics);
  return {
    project: project.value,
    changes: parsed.map((p) => ({ file: p.source.file, spec: p.spec })),
    diagnostics: sorted,
    ok: project.value !== undefined && !hasErrors(sorted),
  };
}

/** Where changes live even when ballast.yaml has other problems, so those files are checked too. */
function changesDirOf(value: unknown): string {
  const dir = (value as { changesDir?: unknown } | undefined)?.changesDir;
  return typeof dir === 'string' && dir !== '' ? dir : 'changes';
}
