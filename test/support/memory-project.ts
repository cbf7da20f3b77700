import { INIT_TEMPLATES } from '../../src/app/project/init-templates.js';
import { analyseProject, type ProjectAnalysis } from '../../src/core/spec/analyse-project.js';

export type Files = Record<string, string | Uint8Array>;

/** The files `ballast init` writes, as a map to edit in a test. */
export function initFiles(): Files {
  return Object.fromEntries(INIT_TEMPLATES.map((t) => [t.path, t.content]));
}

const bytes = (v: string | Uint8Array) => (typeof v === 'string' ? new TextEncoder().encode(v) : v);

/** Runs the pure project analysis over in-memory files. */
export function analyse(files: Files, env: Record<string, string> = {}): ProjectAnalysis {
  return analyseProject({
    project: { name: 'ballast.yaml', bytes: bytes(files['ballast.yaml'] ?? '') },
    changes: (dir) =>
      Object.keys(files)
        .filter((f) => f.startsWith(`${dir}/`) && /\.ya?ml$/.test(f))
        .sort()
        .map((f) => ({ name: f, bytes: bytes(files[f] as string) })),
    env,
    exists: (rel) => rel in files,
  });
}

/** `file:line:col: path: message` lines, for readable assertions. */
export function lines(result: ProjectAnalysis): string[] {
  return result.diagnostics.map((d) => `${d.file}:${d.line}:${d.col}: ${d.path}: ${d.message}`);
}
