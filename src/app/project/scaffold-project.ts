import type { ProjectFiles } from '../ports/project-files.js';
import { INIT_TEMPLATES } from './init-templates.js';

export type ScaffoldResult =
  | { readonly ok: true; readonly written: readonly string[] }
  | { readonly ok: false; readonly existing: readonly string[] };

/**
 * Writes a working example project (sim provider, no API key). All or nothing: when any file
 * exists and `force` is off, nothing is written and the existing files are listed.
 */
export function scaffoldProject(files: ProjectFiles, options: { force: boolean }): ScaffoldResult {
  const existing = INIT_TEMPLATES.map((t) => t.path).filter((p) => files.exists(p));
  if (existing.length > 0 && !options.force) return { ok: false, existing };
  for (const t of INIT_TEMPLATES) files.write(t.path, t.content);
  return { ok: true, written: INIT_TEMPLATES.map((t) => t.path) };
}
