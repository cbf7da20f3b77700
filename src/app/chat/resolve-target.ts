import { BallastError } from '../../core/errors.js';
import { suggestionSuffix } from '../../core/spec/did-you-mean.js';
import type { ProjectConfig } from '../../core/spec/project-schema.js';

export interface Target {
  /** The variant that will answer. */
  readonly variant: string;
  /** The route named, when a route (not a variant) was asked for. */
  readonly route?: string;
}

/** A name as applications send it: a route (served by its stable variant) or a variant directly. */
export function resolveTarget(project: ProjectConfig, name: string): Target {
  const route = project.routes[name];
  if (route) return { variant: route.stable, route: name };
  if (project.variants[name]) return { variant: name };
  const known = [...Object.keys(project.routes), ...Object.keys(project.variants)];
  throw new BallastError(
    'BALLAST_ERR_NOT_FOUND',
    `"${name}" is neither a route nor a variant${suggestionSuffix(name, known)}; known: ${known.join(', ') || 'none'}`,
  );
}
