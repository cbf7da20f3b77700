import { type Diagnostic, formatDiagnostic } from '../core/spec/diagnostic.js';
import type { Io } from './io.js';

export function printDiagnostics(io: Io, diagnostics: readonly Diagnostic[]): void {
  const c = io.color;
  for (const d of diagnostics) {
    const line = formatDiagnostic(d);
    io.err(d.severity === 'error' ? c.red(line) : c.yellow(line));
  }
}

export function countLine(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
}
