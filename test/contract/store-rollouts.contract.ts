import { describe, expect, it } from 'vitest';
import { rejectsWithCode, type StoreGetter, seedChange, seedRollout, T0, uid } from './store-fixtures.js';

/** Changes and rollouts: upsert by content hash, and optimistic concurrency on rollouts. */
export function changesAndRolloutsContract(getStore: StoreGetter): void {
  describe('changes', () => {
    it('register creates, then reports unchanged for the same hash, then updates for a new one', async () => {
      const store = getStore();
      const id = uid('chg');
      const spec = { id, stages: [5, 50, 100], metrics: { success: ['thumbs_up'] }, note: 'ünïcode ✓' };
      const created = await store.changes.register({
        id,
        route: 'support',
        candidate: 'v2',
        spec,
        contentHash: 'h1',
        at: T0,
      });
      expect(created.outcome).toBe('created');
      expect(created.change).toEqual({
        id,
        route: 'support',
        candidate: 'v2',
        spec,
        contentHash: 'h1',
        createdAt: T0,
        updatedAt: T0,
      });

      const same = await store.changes.register({
        id,
        route: 'support',
        candidate: 'v2',
        spec,
        contentHash: 'h1',
        at: T0 + 5,
      });
      expect(same.outcome).toBe('unchanged');
      expect(same.change.updatedAt).toBe(T0);

      const spec2 = { ...spec, stages: [10, 100] };
      const updated = await store.changes.register({
        id,
        route: 'support-2',
        candidate: 'v3',
        spec: spec2,
        contentHash: 'h2',
        at: T0 + 9,
      });
      expect(updated.outcome).toBe('updated');
      expect(updated.change).toMatchObject({
        route: 'support-2',
        candidate: 'v3',
        spec: spec2,
        contentHash: 'h2',
      });
      expect(updated.change.createdAt).toBe(T0);
      expect(updated.change.updatedAt).toBe(T0 + 9);
      expect(await store.changes.get(id)).toEqual(updated.change);
    });

    it('get returns undefined for an unknown id and list orders by creation time', async () => {
      const store = getStore();
      expect(await store.changes.get(uid('missing'))).toBeUndefined();
      const later = await seedChange(store, uid('chg'), T0 + 2_000);
      const earlier = await seedChange(store, uid('chg'), T0 + 1_000);
      const ids = (await store.changes.list())
        .map((c) => c.id)
        .filter((id) => id === later.id || id === earlier.id);
      expect(ids).toEqual([earlier.id, later.id]);
    });
  });

  describe('rollouts', () => {
    it('create starts at version 1 and get returns the same record', async () => {
      const store = getStore();
      const change = await seedChange(store);
      const id = uid('ro');
      const rollout = await store.rollouts.create({
        id,
        changeId: change.id,
        status: 'pending',
        stageIndex: 0,
        exposure: 12.5,
        at: T0,
      });
      expect(rollout).toEqual({
        id,
        changeId: change.id,
        status: 'pending',
        stageIndex: 0,
        exposure: 12.5,
        version: 1,
        createdAt: T0,
        updatedAt: T0,
      });
      expect(await store.rollouts.get(id)).toEqual(rollout);
      expect(await store.rollouts.get(uid('missing'))).toBeUndefined();
    });

    it('create refuses an unknown change, a duplicate id and an exposure outside 0..100', async () => {
      const store = getStore();
      const input = {
        id: uid('ro'),
        changeId: uid('nochange'),
        status: 'pending',
        stageIndex: 0,
        exposure: 0,
        at: T0,
      } as const;
      await rejectsWithCode(store.rollouts.create(input), 'BALLAST_ERR_NOT_FOUND');
      const rollout = await seedRollout(store);
      await rejectsWithCode(
        store.rollouts.create({ ...input, id: rollout.id, changeId: rollout.changeId }),
        'BALLAST_ERR_CONFLICT',
      );
      await rejectsWithCode(
        store.rollouts.create({ ...input, id: uid('ro'), changeId: rollout.changeId, exposure: 101 }),
        'BALLAST_ERR_STORE',
      );
    });

    it('update applies the patch and bumps the version; a stale version conflicts and changes nothing', async () => {
      const store = getStore();
      const rollout = await seedRollout(store);
      const advanced = await store.rollouts.update(
        rollout.id,
        1,
        { stageIndex: 1, exposure: 25 },
        T0 + 60_000,
      );
      expect(advanced).toEqual({
        ...rollout,
        stageIndex: 1,
        exposure: 25,
        version: 2,
        updatedAt: T0 + 60_000,
      });

      const conflict = await rejectsWithCode(
        store.rollouts.update(rollout.id, 1, { status: 'rolled_back', exposure: 0 }, T0 + 70_000),
        'BALLAST_ERR_CONFLICT',
      );
      expect(conflict.details).toMatchObject({ rolloutId: rollout.id, expectedVersion: 1, actualVersion: 2 });
      expect(await store.rollouts.get(rollout.id)).toEqual(advanced);

      const paused = await store.rollouts.update(rollout.id, 2, { status: 'paused' }, T0 + 80_000);
      expect(paused).toMatchObject({ status: 'paused', stageIndex: 1, exposure: 25, version: 3 });
      await rejectsWithCode(store.rollouts.update(uid('missing'), 1, {}, T0), 'BALLAST_ERR_NOT_FOUND');
    });

    it('of two concurrent updates from the same version exactly one wins', async () => {
      const store = getStore();
      const rollout = await seedRollout(store);
      const results = await Promise.allSettled([
        store.rollouts.update(rollout.id, 1, { exposure: 50 }, T0 + 1),
        store.rollouts.update(rollout.id, 1, { exposure: 0, status: 'rolled_back' }, T0 + 2),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.filter((r) => r.status === 'rejected');
      expect(rejected).toHaveLength(1);
      expect((rejected[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'BALLAST_ERR_CONFLICT' });
      expect((await store.rollouts.get(rollout.id))?.version).toBe(2);
    });

    it('a change has at most one live rollout: a second running one is a conflict', async () => {
      const store = getStore();
      const change = await seedChange(store);
      const first = await seedRollout(store, change.id, T0 + 1_000);
      await expect(seedRollout(store, change.id, T0 + 1_001)).rejects.toMatchObject({
        code: 'BALLAST_ERR_CONFLICT',
      });
      // Paused is live too; once it ended, a new one may start.
      await store.rollouts.update(first.id, 1, { status: 'paused' }, T0 + 1_500);
      await expect(seedRollout(store, change.id, T0 + 1_600)).rejects.toMatchObject({
        code: 'BALLAST_ERR_CONFLICT',
      });
      await store.rollouts.update(first.id, 2, { status: 'rolled_back', exposure: 0 }, T0 + 2_000);
      expect((await seedRollout(store, change.id, T0 + 3_000)).status).toBe('running');
    });

    it("getByChange prefers the live rollout to a later-stamped ended one (gateways' clocks disagree)", async () => {
      const store = getStore();
      const change = await seedChange(store);
      // Started through a gateway whose clock runs 5 minutes behind, after one that was rolled back.
      const ended = await seedRollout(store, change.id, T0 + 300_000);
      await store.rollouts.update(ended.id, 1, { status: 'rolled_back', exposure: 0 }, T0 + 300_500);
      const live = await seedRollout(store, change.id, T0 + 120_000);
      expect((await store.rollouts.getByChange(change.id))?.id).toBe(live.id);
    });

    it('currentPerChange gives each change the rollout getByChange gives it, in one query', async () => {
      const store = getStore();
      // A: a live rollout stamped before an ended one; B: two ended ones; C: none.
      const a = await seedChange(store);
      const aEnded = await seedRollout(store, a.id, T0 + 300_000);
      await store.rollouts.update(aEnded.id, 1, { status: 'rolled_back', exposure: 0 }, T0 + 300_500);
      const aLive = await seedRollout(store, a.id, T0 + 120_000);
      const b = await seedChange(store);
      const bFirst = await seedRollout(store, b.id, T0 + 1_000);
      await store.rollouts.update(bFirst.id, 1, { status: 'promoted', exposure: 100 }, T0 + 1_500);
      const bSecond = await seedRollout(store, b.id, T0 + 2_000);
      await store.rollouts.update(bSecond.id, 1, { status: 'aborted', exposure: 0 }, T0 + 2_500);
      const c = await seedChange(store);
      const current = await store.rollouts.currentPerChange();
      const byChange = new Map(current.map((r) => [r.changeId, r]));
      // One per change, and the store may hold other tests' changes.
      expect(byChange.size).toBe(current.length);
      expect(byChange.get(a.id)).toEqual(await store.rollouts.getByChange(a.id));
      expect(byChange.get(a.id)?.id).toBe(aLive.id);
      expect(byChange.get(b.id)).toMatchObject({ id: bSecond.id, status: 'aborted', version: 2 });
      expect(byChange.has(c.id)).toBe(false);
      for (const r of current) expect(r).toEqual(await store.rollouts.getByChange(r.changeId));
    });

    it('getByChange returns the latest rollout and list filters by status and change', async () => {
      const store = getStore();
      const change = await seedChange(store);
      const first = await seedRollout(store, change.id, T0 + 1_000);
      await store.rollouts.update(first.id, 1, { status: 'rolled_back', exposure: 0 }, T0 + 1_500);
      const second = await seedRollout(store, change.id, T0 + 2_000);
      expect((await store.rollouts.getByChange(change.id))?.id).toBe(second.id);
      expect(await store.rollouts.getByChange(uid('nochange'))).toBeUndefined();

      expect((await store.rollouts.list({ changeId: change.id })).map((r) => r.id)).toEqual([
        first.id,
        second.id,
      ]);
      const rolledBack = await store.rollouts.list({ status: 'rolled_back' });
      expect(rolledBack.every((r) => r.status === 'rolled_back')).toBe(true);
      expect(rolledBack.map((r) => r.id)).toContain(first.id);
      expect(rolledBack.map((r) => r.id)).not.toContain(second.id);
      const running = await store.rollouts.list({ status: 'running', changeId: change.id });
      expect(running.map((r) => r.id)).toEqual([second.id]);
    });
  });
}
