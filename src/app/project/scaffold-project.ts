import type { ProjectFiles } from '../ports/project-files.js';
import { INIT_TEMPLATES } from './init-templates.js';

export type ScaffoldResult =
  | { readonly ok: true; readonly written: readonly string[]; readonly updated: readonly string[] }
  | { readonly ok: false; readonly existing: readonly string[] };

const GITIGNORE = '.gitignore';
const IGNORED = '.ballast/';

/**
 * Writes a working example project (sim provider, no API key). All or nothing: when any file
 * exists and `force` is off, nothing is written and the existing files are listed. An existing
 * .gitignore is never a conflict and never replaced: the `.ballast/` line is appended to it.
 */
export function scaffoldProject(files: ProjectFiles, options: { force: boolean }): ScaffoldResult {
  const templates = INIT_TEMPLATES.filter((t) => t.path !== GITIGNORE);
  const existing = templates.map((t) => t.path).filter((p) => files.exists(p));
  if (existing.length > 0 && !options.force) return { ok: false, existing };
  for (const t of templates) files.write(t.path, t.content);
  const written = templates.map((t) => t.path);
  const updated: string[] = [];
  const ignore = files.read(GITIGNORE);
  if (ignore === undefined) {
    files.write(GITIGNORE, INIT_TEMPLATES.find((t) => t.path === GITIGNORE)?.content ?? `${IGNORED}\n`);
    written.push(GITIGNORE);
  } else if (
    !ignore.split(/\r?\n/).some((line) => ['.ballast', '.ballast/', '/.ballast/'].includes(line.trim()))
  ) {
    files.write(GITIGNORE, `${ignore}${ignore.endsWith('\n') || ignore === '' ? '' : '\n'}${IGNORED}\n`);
    updated.push(GITIGNORE);
  }
  return { ok: true, written, updated };
}
