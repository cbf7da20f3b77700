import { describe, expect, it } from 'vitest';
import type { StoreSession } from '../../src/app/ports/store.js';
import {
  decisionInput,
  metricDelta,
  rejectsWithCode,
  type StoreGetter,
  seedChange,
  seedRollout,
  T0,
  uid,
} from './store-fixtures.js';

/** The append-only decision log, and the transaction that ties a decision to a rollout update. */
export function decisionsContract(getStore: StoreGetter): void {
  describe('decisions', () => {
    it('append numbers decisions 1, 2, 3 per rollout and keeps every field', async () => {
      const store = getStore();
      const a = await seedRollout(store);
      // A change has one live rollout at a time: the first ended before the second started.
      await store.rollouts.update(a.id, a.version, { status: 'rolled_back', exposure: 0 }, a.createdAt + 1);
      const b = await seedRollout(store, a.changeId);
      const first = decisionInput(a, {
        action: 'start',
        fromStatus: null,
        fromStage: null,
        toStage: 0,
        exposure: 5,
      });
      expect(await store.decisions.append(first)).toEqual({ ...first, seq: 1 });
      expect((await store.decisions.append(decisionInput(b))).seq).toBe(1);
      const human = decisionInput(a, {
        actor: 'Ada Lovelace',
        action: 'pause',
        toStatus: 'paused',
        reasons: [],
      });
      expect(await store.decisions.append(human)).toEqual({ ...human, seq: 2 });
      expect((await store.decisions.append(decisionInput(a, { at: T0 + 5_000 }))).seq).toBe(3);

      const listed = await store.decisions.list({ rolloutId: a.id });
      expect(listed.map((d) => d.seq)).toEqual([1, 2, 3]);
      expect(listed[0]).toEqual({ ...first, seq: 1 });
      expect(listed[1]?.evidence).toEqual(human.evidence);
    });

    it('list filters by rollout, change, afterSeq and limit', async () => {
      const store = getStore();
      const a = await seedRollout(store);
      // A change has one live rollout at a time: the first ended before the second started.
      await store.rollouts.update(a.id, a.version, { status: 'rolled_back', exposure: 0 }, a.createdAt + 1);
      const b = await seedRollout(store, a.changeId);
      for (let i = 0; i < 4; i++) await store.decisions.append(decisionInput(a, { at: T0 + i * 10 }));
      await store.decisions.append(decisionInput(b, { at: T0 + 15 }));

      expect((await store.decisions.list({ rolloutId: a.id, afterSeq: 2 })).map((d) => d.seq)).toEqual([
        3, 4,
      ]);
      // A limit keeps the newest, oldest first (as `ballast log --limit` shows them).
      expect((await store.decisions.list({ rolloutId: a.id, limit: 2 })).map((d) => d.seq)).toEqual([3, 4]);
      expect(
        (await store.decisions.list({ changeId: a.changeId, limit: 3 })).map((d) => [d.rolloutId, d.seq]),
      ).toEqual([
        [b.id, 1],
        [a.id, 3],
        [a.id, 4],
      ]);
      const byChange = await store.decisions.list({ changeId: a.changeId });
      expect(byChange.map((d) => [d.rolloutId, d.seq])).toEqual([
        [a.id, 1],
        [a.id, 2],
        [b.id, 1],
        [a.id, 3],
        [a.id, 4],
      ]);
      expect(await store.decisions.list({ changeId: uid('nochange') })).toEqual([]);
    });

    it('is append-only: the port offers no way to change or remove a decision', () => {
      const decisions = getStore().decisions as unknown as Record<string, unknown>;
      expect(Object.keys(decisions).sort()).toEqual(['append', 'list']);
    });

    it('refuses an unknown rollout and a change that is not the rollout’s', async () => {
      const store = getStore();
      const rollout = await seedRollout(store);
      await rejectsWithCode(
        store.decisions.append(decisionInput({ ...rollout, id: uid('missing') })),
        'BALLAST_ERR_NOT_FOUND',
      );
      const other = await seedChange(store);
      await rejectsWithCode(
        store.decisions.append(decisionInput(rollout, { changeId: other.id })),
        'BALLAST_ERR_STORE',
      );
      // Neither failure consumed a number.
      expect((await store.decisions.append(decisionInput(rollout))).seq).toBe(1);
    });

    it('parallel appends to one rollout get distinct, gap-free seqs', async () => {
      const store = getStore();
      const rollout = await seedRollout(store);
      const appended = await Promise.all(
        Array.from({ length: 8 }, (_, i) => store.decisions.append(decisionInput(rollout, { at: T0 + i }))),
      );
      expect(appended.map((d) => d.seq).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect((await store.decisions.list({ rolloutId: rollout.id })).map((d) => d.seq)).toEqual([
        1, 2, 3, 4, 5, 6, 7, 8,
      ]);
    });
  });

  describe('transaction', () => {
    const decideAndAdvance = async (tx: StoreSession, rolloutId: string, expectedVersion: number) => {
      const rollout = await tx.rollouts.get(rolloutId);
      if (!rollout) throw new Error('seeded rollout vanished');
      const decision = await tx.decisions.append(decisionInput(rollout));
      const updated = await tx.rollouts.update(
        rolloutId,
        expectedVersion,
        { stageIndex: 1, exposure: 25 },
        T0 + 1_000,
      );
      return { decision, updated };
    };

    it('commits a decision and a guarded rollout update together and returns the callback’s value', async () => {
      const store = getStore();
      const rollout = await seedRollout(store);
      const result = await store.transaction((tx) => decideAndAdvance(tx, rollout.id, 1));
      expect(result.decision.seq).toBe(1);
      expect(result.updated.version).toBe(2);
      expect(await store.rollouts.get(rollout.id)).toEqual(result.updated);
      expect(await store.decisions.list({ rolloutId: rollout.id })).toEqual([result.decision]);
    });

    it('rolls everything back when the callback throws, and rethrows that very error', async () => {
      const store = getStore();
      const rollout = await seedRollout(store);
      const boom = new Error('controller crashed mid-decision');
      const created = uid('chg');
      const thrown = await store
        .transaction(async (tx) => {
          await decideAndAdvance(tx, rollout.id, 1);
          await seedChange(tx, created);
          await tx.metrics.upsertBatch([metricDelta({ route: created })]);
          throw boom;
        })
        .catch((e: unknown) => e);
      expect(thrown).toBe(boom);
      expect(await store.rollouts.get(rollout.id)).toEqual(rollout);
      expect(await store.decisions.list({ rolloutId: rollout.id })).toEqual([]);
      expect(await store.changes.get(created)).toBeUndefined();
      expect(await store.metrics.query({ route: created })).toEqual([]);
      // The seq counter rolled back with the transaction: the next decision is still number 1.
      expect((await store.decisions.append(decisionInput(rollout))).seq).toBe(1);
    });

    it('a stale version inside the transaction conflicts and discards the decision appended before it', async () => {
      const store = getStore();
      const rollout = await seedRollout(store);
      await store.rollouts.update(rollout.id, 1, { exposure: 10 }, T0 + 1);
      await rejectsWithCode(
        store.transaction((tx) => decideAndAdvance(tx, rollout.id, 1)),
        'BALLAST_ERR_CONFLICT',
      );
      expect(await store.decisions.list({ rolloutId: rollout.id })).toEqual([]);
      expect((await store.rollouts.get(rollout.id))?.version).toBe(2);
    });

    it('of two parallel transactions holding the same version one commits and the other leaves no trace', async () => {
      const store = getStore();
      const rollout = await seedRollout(store);
      const results = await Promise.allSettled([
        store.transaction((tx) => decideAndAdvance(tx, rollout.id, 1)),
        store.transaction((tx) => decideAndAdvance(tx, rollout.id, 1)),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(rejected.reason).toMatchObject({ code: 'BALLAST_ERR_CONFLICT' });
      const decisions = await store.decisions.list({ rolloutId: rollout.id });
      expect(decisions.map((d) => d.seq)).toEqual([1]);
      expect((await store.rollouts.get(rollout.id))?.version).toBe(2);
    });
  });
}
