import type { UnitSource } from '../ports/gateway-telemetry.js';

export interface UnitHints {
  /** The `x-ballast-unit` header. */
  readonly header?: string | undefined;
  /** The body's `user`. */
  readonly user?: unknown;
  /** The body's `safety_identifier`. */
  readonly safetyIdentifier?: unknown;
}

/** Longest unit id kept; longer ones are cut (they are ids, not content). */
const MAX_UNIT = 256;

const usable = (v: unknown): string | undefined =>
  typeof v === 'string' && v.trim() !== '' ? v.slice(0, MAX_UNIT) : undefined;

/**
 * The unit of a request (issue #5): `x-ballast-unit`, else the body's `user`, else its
 * `safety_identifier`, else a random id — which is not sticky and is reported as `random` so
 * the share of such requests can be watched.
 */
export function resolveUnit(hints: UnitHints, randomId: () => string): { unit: string; source: UnitSource } {
  const header = usable(hints.header);
  if (header) return { unit: header, source: 'header' };
  const user = usable(hints.user);
  if (user) return { unit: user, source: 'user' };
  const safety = usable(hints.safetyIdentifier);
  if (safety) return { unit: safety, source: 'safety_identifier' };
  return { unit: randomId(), source: 'random' };
}
