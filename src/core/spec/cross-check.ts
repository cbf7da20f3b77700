import type { ChangeSpec } from './change-schema.js';
import type { PathSegment } from './diagnostic.js';
import { suggestionSuffix } from './did-you-mean.js';
import type { ProjectConfig } from './project-schema.js';

/** A problem that spans files, before it is given a line and column. */
export interface CrossIssue {
  /** Which file: 'project' or the index of the change in the list given. */
  readonly where: 'project' | number;
  readonly path: readonly PathSegment[];
  readonly message: string;
  readonly severity: 'error' | 'warning';
}

export interface ChangeInput {
  /** File name without folder or extension, e.g. `concise-prompt`. */
  readonly stem: string;
  readonly spec: ChangeSpec;
}

const PLURAL: Record<string, string> = { 'guardrail policy': 'guardrail policies' };

const missing = (kind: string, name: string, known: Record<string, unknown>) =>
  `${kind} "${name}" is not defined${suggestionSuffix(name, Object.keys(known))}` +
  (Object.keys(known).length === 0 ? ` (no ${PLURAL[kind] ?? `${kind}s`} are defined in ballast.yaml)` : '');

/** Paths named in ballast.yaml that point at files, relative to the project folder. */
export function filePathOf(system: string | undefined): string | undefined {
  return system?.startsWith('file:') ? system.slice('file:'.length).trim() : undefined;
}

/** References between the project file and the change specs, and the files they name. */
export function crossCheck(
  project: ProjectConfig,
  changes: readonly ChangeInput[],
  exists: (relativePath: string) => boolean,
): CrossIssue[] {
  const issues: CrossIssue[] = [];
  const err = (where: CrossIssue['where'], path: PathSegment[], message: string) =>
    issues.push({ where, path, message, severity: 'error' });

  for (const [name, v] of Object.entries(project.variants)) {
    if (!project.providers[v.provider])
      err('project', ['variants', name, 'provider'], missing('provider', v.provider, project.providers));
    if (v.guardrails && !project.guardrails[v.guardrails]) {
      err(
        'project',
        ['variants', name, 'guardrails'],
        missing('guardrail policy', v.guardrails, project.guardrails),
      );
    }
    v.fallbacks.forEach((fallback, i) => {
      if (fallback === name)
        err('project', ['variants', name, 'fallbacks', i], 'a variant cannot fall back to itself');
      else if (!project.variants[fallback])
        err('project', ['variants', name, 'fallbacks', i], missing('variant', fallback, project.variants));
      else if (v.fallbacks.indexOf(fallback) !== i)
        err('project', ['variants', name, 'fallbacks', i], `"${fallback}" is listed twice`);
    });
    const promptFile = filePathOf(v.system);
    if (promptFile !== undefined && !exists(promptFile))
      err('project', ['variants', name, 'system'], `prompt file "${promptFile}" does not exist`);
    if (v.sim.knowledge !== undefined && !exists(v.sim.knowledge)) {
      err(
        'project',
        ['variants', name, 'sim', 'knowledge'],
        `dataset file "${v.sim.knowledge}" does not exist`,
      );
    }
  }
  for (const [name, r] of Object.entries(project.routes)) {
    if (!project.variants[r.stable])
      err('project', ['routes', name, 'stable'], missing('variant', r.stable, project.variants));
    if (project.variants[name])
      err(
        'project',
        ['routes', name],
        `"${name}" is both a route and a variant; the gateway could not tell which one a request means`,
      );
  }
  const keyNames = new Set<string>();
  const keyValues = new Set<string>();
  project.auth.keys.forEach((k, i) => {
    if (keyNames.has(k.name))
      err('project', ['auth', 'keys', i, 'name'], `key name "${k.name}" is used twice`);
    if (keyValues.has(k.key)) err('project', ['auth', 'keys', i, 'key'], 'the same key is listed twice');
    keyNames.add(k.name);
    keyValues.add(k.key);
  });

  const firstById = new Map<string, number>();
  changes.forEach(({ stem, spec }, i) => {
    const seen = firstById.get(spec.id);
    if (seen !== undefined)
      err(i, ['id'], `id "${spec.id}" is also used by changes/${changes[seen]?.stem}.yaml`);
    else firstById.set(spec.id, i);
    if (stem !== spec.id) {
      issues.push({
        where: i,
        path: ['id'],
        message: `id "${spec.id}" differs from the file name "${stem}"`,
        severity: 'warning',
      });
    }
    const route = project.routes[spec.route];
    if (!route) err(i, ['route'], missing('route', spec.route, project.routes));
    if (!project.variants[spec.candidate])
      err(i, ['candidate'], missing('variant', spec.candidate, project.variants));
    else if (route && route.stable === spec.candidate) {
      err(
        i,
        ['candidate'],
        `"${spec.candidate}" is already the stable variant of route "${spec.route}"; a change needs a different candidate`,
      );
    }
    spec.offline.datasets.forEach((d, j) => {
      if (!exists(d)) err(i, ['offline', 'datasets', j], `dataset file "${d}" does not exist`);
    });
    if (spec.offline.judge && !project.variants[spec.offline.judge])
      err(i, ['offline', 'judge'], missing('variant', spec.offline.judge, project.variants));
    const scorerNames = new Set<string>();
    spec.offline.scorers.forEach((s, j) => {
      const name = s.name ?? s.type;
      if (scorerNames.has(name))
        err(i, ['offline', 'scorers', j], `two scorers are named "${name}"; give one of them another name`);
      scorerNames.add(name);
      if (s.judge && !project.variants[s.judge])
        err(i, ['offline', 'scorers', j, 'judge'], missing('variant', s.judge, project.variants));
      if (s.module !== undefined && !exists(s.module))
        err(i, ['offline', 'scorers', j, 'module'], `module "${s.module}" does not exist`);
    });
    spec.offline.criteria.forEach((c, j) => {
      // A dataset's own assertions (a case's assert, promptfoo's) may define it: `ballast eval`
      // refuses the run when none does; here it can only be a warning.
      if (c.scorer !== undefined && !scorerNames.has(c.scorer)) {
        issues.push({
          where: i,
          path: ['offline', 'criteria', j, 'scorer'],
          message: `scorer "${c.scorer}" is not defined in offline.scorers; ballast eval looks for it among the datasets' assertions${suggestionSuffix(c.scorer, [...scorerNames])}`,
          severity: 'warning',
        });
      }
    });
  });
  return issues;
}
