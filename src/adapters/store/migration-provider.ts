import type { Migration, MigrationProvider } from 'kysely';
import * as initial from './migrations/0001-initial.js';
import * as responseCache from './migrations/0002-response-cache.js';
import * as gateway from './migrations/0003-gateway.js';
import * as unitTotals from './migrations/0004-unit-totals.js';
import * as armSums from './migrations/0005-arm-sums.js';
import * as changeSums from './migrations/0006-change-sums.js';
import * as oneLiveRollout from './migrations/0007-one-live-rollout.js';
import * as telemetryBatches from './migrations/0008-telemetry-batches.js';

/**
 * Migrations are listed here, not discovered by scanning a folder: a scan breaks once the code is
 * bundled or run from dist/, and a static list makes the order and the set reviewable in one place.
 * Names sort in the order they must run (Kysely sorts them).
 */
const MIGRATIONS: Readonly<Record<string, Migration>> = Object.freeze({
  '0001-initial': initial,
  '0002-response-cache': responseCache,
  '0003-gateway': gateway,
  '0004-unit-totals': unitTotals,
  '0005-arm-sums': armSums,
  '0006-change-sums': changeSums,
  '0007-one-live-rollout': oneLiveRollout,
  '0008-telemetry-batches': telemetryBatches,
});

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => ({ ...MIGRATIONS }),
};

/** Every migration this build knows, in the order they run. */
export function migrationNames(): string[] {
  return Object.keys(MIGRATIONS).sort();
}
