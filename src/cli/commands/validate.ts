import type { Command } from 'commander';
import { loadProject } from '../../config/load-project.js';
import type { ChangeSpec } from '../../core/spec/change-schema.js';
import { formatDuration } from '../../core/spec/duration.js';
import type { CliDeps } from '../deps.js';
import { countLine, printDiagnostics } from '../diagnostics-view.js';
import { EXIT } from '../exit-codes.js';
import { printJson } from '../io.js';
import { configPathOrExit } from '../project-context.js';

/** One line a person can scan: what the change is, where it goes, how it will be released. */
export function summariseChange(spec: ChangeSpec): string {
  const stages = spec.rollout.stages.map((s) => `${s.percent}%`).join('→');
  const first = spec.rollout.stages[0];
  const guards = spec.metrics.guardrails.map((g) => g.metric).join(', ');
  const parts = [
    `${spec.route} → ${spec.candidate}`,
    `risk ${spec.risk}`,
    spec.milestone ? `milestone ${spec.milestone}` : undefined,
    `stages ${stages}${first ? ` (≥${first.min_units} units, ≥${formatDuration(first.min_duration)} each first)` : ''}`,
    `guardrails ${guards || 'none'}`,
    `${spec.offline.criteria.length} offline criteria on ${spec.offline.datasets.length} dataset(s)`,
  ];
  return `${spec.id}: ${parts.filter(Boolean).join(' · ')}`;
}

export function registerValidate(program: Command, deps: CliDeps, setExit: (code: number) => void): void {
  program
    .command('validate')
    .description('check ballast.yaml and every change spec; print one line per change')
    .option('-c, --config <file>', 'project file (default: ./ballast.yaml)')
    .option('--json', 'print the result as JSON', false)
    .action((opts: { config?: string; json: boolean }) => {
      const path = configPathOrExit(deps, opts.config);
      const project = loadProject(path, deps.env, deps.cwd);
      const code = project.ok ? EXIT.OK : EXIT.USAGE;
      if (opts.json) {
        printJson(deps.io, {
          schemaVersion: 1,
          ok: project.ok,
          config: project.configPath,
          summary: project.project && {
            providers: Object.keys(project.project.providers),
            variants: Object.keys(project.project.variants),
            routes: Object.keys(project.project.routes),
          },
          changes: project.changes.map((c) => ({
            file: c.file,
            id: c.spec.id,
            summary: summariseChange(c.spec),
            spec: c.spec,
          })),
          diagnostics: project.diagnostics,
        });
        return setExit(code);
      }
      printDiagnostics(deps.io, project.diagnostics);
      const c = deps.io.color;
      for (const change of project.changes)
        deps.io.out(`${project.ok ? c.green('✓') : '•'} ${summariseChange(change.spec)}`);
      const p = project.project;
      const what = p
        ? `${Object.keys(p.providers).length} provider(s), ${Object.keys(p.variants).length} variant(s), ` +
          `${Object.keys(p.routes).length} route(s), ${project.changes.length} change(s)`
        : 'project file invalid';
      const verdict = project.ok ? c.green('valid') : c.red('invalid');
      deps.io.out(`${verdict}: ${what}; ${countLine(project.diagnostics)}`);
      setExit(code);
    });
}
