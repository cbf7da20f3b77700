import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationNames } from '../../src/adapters/store/migration-provider.js';
import { migrateToLatest, migrationStatus } from '../../src/adapters/store/store-migrator.js';
import type { Store } from '../../src/app/ports/store.js';
import { decisionsContract } from './store-decisions.contract.js';
import { evalRunsContract } from './store-eval-runs.contract.js';
import { decisionInput, seedRollout, T0 } from './store-fixtures.js';
import { metricsContract } from './store-metrics.contract.js';
import { requestLogContract } from './store-request-log.contract.js';
import { responseCacheContract } from './store-response-cache.contract.js';
import { changesAndRolloutsContract } from './store-rollouts.contract.js';
import { unitTotalsContract } from './store-unit-totals.contract.js';

export interface StoreContractOptions {
  /**
   * open() reaches the same durable database every time (a file, a server schema), so data must
   * survive closing and opening again. Off for in-memory stores.
   */
  readonly durable?: boolean;
  /** The store URL open() uses; enables the migration checks (migrationStatus, migrateToLatest). */
  readonly url?: string;
}

/**
 * The behaviour every Store implementation must have. Run it once per implementation; the suite
 * shares one store across its tests, which therefore only assert on rows they created themselves.
 */
export function storeContract(
  name: string,
  open: () => Promise<Store>,
  options: StoreContractOptions = {},
): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store | undefined;
    const getStore = (): Store => {
      if (!store) throw new Error('the store did not open; see the beforeAll failure');
      return store;
    };
    beforeAll(async () => {
      store = await open();
    });
    afterAll(async () => {
      await store?.close();
    });

    changesAndRolloutsContract(getStore);
    decisionsContract(getStore);
    evalRunsContract(getStore);
    metricsContract(getStore);
    responseCacheContract(getStore);
    requestLogContract(getStore);
    unitTotalsContract(getStore);

    describe('lifecycle', () => {
      it('close can be called twice', async () => {
        const extra = await open();
        await extra.close();
        await expect(extra.close()).resolves.toBeUndefined();
      });

      it.runIf(options.durable)('re-opening keeps the data and the decision numbering', async () => {
        const first = await open();
        const rollout = await seedRollout(first);
        await first.decisions.append(decisionInput(rollout));
        await first.close();

        const again = await open();
        try {
          expect(await again.rollouts.get(rollout.id)).toEqual(rollout);
          expect((await again.decisions.append(decisionInput(rollout, { at: T0 + 2_000 }))).seq).toBe(2);
        } finally {
          await again.close();
        }
      });

      it.runIf(options.url)('migration status shows every migration applied once, none pending', async () => {
        const url = options.url as string;
        const status = await migrationStatus(url);
        expect(status.dialect).toBe(getStore().dialect);
        expect(status.pending).toEqual([]);
        expect(status.applied.map((m) => m.name)).toEqual(migrationNames());
        for (const m of status.applied) expect(Number.isNaN(Date.parse(m.executedAt))).toBe(false);
      });

      it.runIf(options.url)('migrating again and re-opening apply nothing twice', async () => {
        const url = options.url as string;
        const before = await migrationStatus(url);
        expect(await migrateToLatest(url)).toEqual([]);
        const reopened = await open();
        await reopened.close();
        const after = await migrationStatus(url);
        expect(after.applied).toEqual(before.applied);
      });
    });
  });
}
