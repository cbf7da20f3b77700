/** A problem found in a project file, located for a person: `FILE:LINE:COL: field.path: message`. */
export interface Diagnostic {
  readonly file: string;
  /** 1-based; 0 when the problem concerns the whole file. */
  readonly line: number;
  /** 1-based; 0 when the problem concerns the whole file. */
  readonly col: number;
  /** Dotted field path (`rollout.stages[1].percent`), empty for the file itself. */
  readonly path: string;
  readonly message: string;
  readonly severity: 'error' | 'warning';
}

export type PathSegment = string | number;

/** `['rollout', 'stages', 1, 'percent']` → `rollout.stages[1].percent`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}:${d.col}` : d.file;
  const warn = d.severity === 'warning' ? 'warning: ' : '';
  return d.path === '' ? `${where}: ${warn}${d.message}` : `${where}: ${d.path}: ${warn}${d.message}`;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** Stable order: by file, then position, so output diffs well in CI logs. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) =>
      a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col || a.path.localeCompare(b.path),
  );
}
