import { describe, expect, it } from 'vitest';
import { openStore } from '../../../src/adapters/store/open-store.js';
import { createController } from '../../../src/app/controller/controller.js';
import { buildSnapshot, RoutingTable } from '../../../src/app/gateway/routing-table.js';
import type { Clock } from '../../../src/app/ports/clock.js';
import type { Store } from '../../../src/app/ports/store.js';
import { changeSchema } from '../../../src/core/spec/change-schema.js';
import { unitDelta } from '../../contract/store-unit-totals.contract.js';

const spec = changeSchema.parse({
  id: 'c1',
  title: 't',
  hypothesis: 'h',
  owner: 'o',
  route: 'chat',
  candidate: 'cand',
  risk: 'low',
});
const routes = { chat: { stable: 'stable' } };

/** The controller one gateway runs, on the store the gateways share. */
const gatewayController = (
  store: Store,
  clock: Clock,
  routing = new RoutingTable(buildSnapshot(routes, [], 1)),
) => createController({ store, specs: new Map([[spec.id, spec]]), routes, routing, clock });

describe('controllers of several gateways on one store', () => {
  it('log a hold once, not once per gateway', async () => {
    const store = await openStore('sqlite::memory:');
    try {
      let now = 1_700_000_000_000;
      const clock = { now: () => now, monotonic: () => now, sleep: async () => undefined };
      const controller = () => gatewayController(store, clock);
      const [a, b] = [controller(), controller()];
      await a.act({ action: 'start', changeId: 'c1', actor: 'test', skipGate: true, reason: 'drill' });
      // No traffic yet: both gateways' controllers see the same inconclusive stage, one after the other.
      for (let look = 0; look < 3; look++) {
        await a.tick();
        await b.tick();
        now += 1_000;
      }
      const rollout = await store.rollouts.getByChange('c1');
      expect((await store.decisions.list({ rolloutId: rollout!.id })).map((d) => d.action)).toEqual([
        'start',
        'hold',
      ]);
      // The reason changes (the arms' sizes disagree with the layout): one new hold, not two.
      await store.unitTotals.upsertBatch(
        Array.from({ length: 600 }, (_, i) =>
          unitDelta(
            { changeId: 'c1', arm: i < 500 ? 'candidate' : 'comparison', unit: `u-${i}` },
            { requests: 1, at: now },
          ),
        ),
      );
      for (let look = 0; look < 3; look++) {
        await a.tick();
        await b.tick();
        now += 1_000;
      }
      const log = await store.decisions.list({ rolloutId: rollout!.id });
      expect(log.map((d) => d.action)).toEqual(['start', 'hold', 'hold']);
      expect(log[2]?.reasons[0]).toMatch(/^sample-ratio mismatch/);
    } finally {
      await store.close();
    }
  });

  it('route by the live rollout when a gateway with a slow clock started it after one ended', async () => {
    const store = await openStore('sqlite::memory:');
    try {
      const T = 1_700_000_000_000;
      await store.changes.register({
        id: 'c1',
        route: 'chat',
        candidate: 'cand',
        spec: JSON.parse(JSON.stringify(spec)),
        contentHash: 'c1:1',
        at: T,
      });
      const ended = await store.rollouts.create({
        id: 'ro_a',
        changeId: 'c1',
        status: 'running',
        stageIndex: 0,
        exposure: 5,
        at: T + 300_000,
      });
      await store.rollouts.update(
        ended.id,
        ended.version,
        { status: 'rolled_back', exposure: 0 },
        T + 300_500,
      );
      await store.rollouts.create({
        id: 'ro_b',
        changeId: 'c1',
        status: 'running',
        stageIndex: 0,
        exposure: 5,
        at: T + 120_000,
      });
      const routing = new RoutingTable(buildSnapshot(routes, [], 1));
      const clock = { now: () => T + 400_000, monotonic: () => 0, sleep: async () => undefined };
      await gatewayController(store, clock, routing).refreshRouting();
      expect(routing.current.routes.get('chat')?.rollout).toMatchObject({ changeId: 'c1', exposureBp: 500 });
    } finally {
      await store.close();
    }
  });

  // On one SQLite connection the two starts take turns, so the second is refused by the live-rollout
  // check; starts that really overlap (PostgreSQL) are refused by the database's index, which the
  // store contract tests on both dialects (store-rollouts.contract.ts).
  it('start one rollout when two gateways are asked for one at once', async () => {
    const store = await openStore('sqlite::memory:');
    try {
      let now = 1_700_000_000_000;
      const clock = { now: () => now++, monotonic: () => 0, sleep: async () => undefined };
      const controller = () => gatewayController(store, clock);
      const start = {
        action: 'start' as const,
        changeId: 'c1',
        actor: 'test',
        skipGate: true,
        reason: 'drill',
      };
      const results = await Promise.allSettled([controller().act(start), controller().act(start)]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(refused.reason).toMatchObject({ code: 'BALLAST_ERR_CONFLICT' });
      expect(String(refused.reason.message)).toMatch(/already has a (live|running) rollout/);
      expect(await store.rollouts.list({ changeId: 'c1', status: 'running' })).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
});
