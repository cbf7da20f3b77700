import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../src/app/ports/gateway-telemetry.js';
import { requestRecord as baseRecord } from '../support/telemetry-records.js';
import { type StoreGetter, T0, uid } from './store-fixtures.js';

const requestRecord = (overrides: Partial<RequestRecord> = {}): RequestRecord =>
  baseRecord({ requestId: uid('req'), at: T0, ...overrides });

/** The sampled request log and the settings table, both written by the gateway. */
export function requestLogContract(getStore: StoreGetter): void {
  describe('request log', () => {
    it('round-trips every field, with and without content', async () => {
      const store = getStore();
      const changeId = uid('chg');
      const full = requestRecord({
        changeId,
        arm: 'candidate',
        unitSource: 'safety_identifier',
        assignedVariant: 'cand-v2',
        servedVariant: 'baseline',
        stream: true,
        status: 200,
        outcome: 'stream_interrupted',
        errorKind: 'upstream',
        ttftMs: 95.5,
        guardrailHits: 2,
        attempts: [
          { variant: 'cand-v2', ok: false, kind: 'timeout', latencyMs: 3000 },
          { variant: 'baseline', ok: false, kind: 'upstream', latencyMs: 410.75 },
        ],
        content: {
          messages: [
            { role: 'system', content: 'Be brief.' },
            { role: 'user', content: [{ type: 'text', text: 'Hello [EMAIL]' }] },
          ],
          output: 'Hi th',
        },
      });
      const plain = requestRecord({ route: null, model: null, at: T0 + 1 });
      await store.requestLog.appendBatch([full, plain]);
      expect(await store.requestLog.get(full.requestId)).toEqual(full);
      const back = await store.requestLog.get(plain.requestId);
      expect(back).toEqual(plain);
      expect(back && 'content' in back).toBe(false);
      expect(typeof back?.at).toBe('number');
      expect(typeof back?.inputTokens).toBe('number');
      expect(await store.requestLog.get(uid('missing'))).toBeUndefined();
    });

    it('ignores ids already stored or repeated within a batch', async () => {
      const store = getStore();
      const route = uid('route');
      const first = requestRecord({ route });
      await store.requestLog.appendBatch([first]);
      const next = requestRecord({ route, at: T0 + 5 });
      await store.requestLog.appendBatch([{ ...first, latencyMs: 1 }, next, { ...next, latencyMs: 2 }]);
      const rows = await store.requestLog.list({ route });
      expect(rows.map((r) => r.requestId)).toEqual([next.requestId, first.requestId]);
      expect(rows.map((r) => r.latencyMs)).toEqual([next.latencyMs, first.latencyMs]);
      await store.requestLog.appendBatch([]);
    });

    it('writes a large batch (more rows than one statement takes) in one go', async () => {
      const store = getStore();
      const route = uid('route');
      const rows = Array.from({ length: 1_234 }, (_, i) => requestRecord({ route, at: T0 + i }));
      await store.requestLog.appendBatch(rows);
      expect(await store.requestLog.list({ route })).toHaveLength(1_234);
    });

    it('a batch is atomic: a failing row leaves none of the batch behind', async () => {
      const store = getStore();
      const route = uid('route');
      const good = requestRecord({ route });
      // A null in a NOT NULL column fails the statement on every dialect.
      const bad = { ...requestRecord({ route }), unit: null } as unknown as RequestRecord;
      const many = Array.from({ length: 600 }, (_, i) => requestRecord({ route, at: T0 + i }));
      await expect(store.requestLog.appendBatch([good, ...many, bad])).rejects.toMatchObject({
        code: 'BALLAST_ERR_STORE',
      });
      expect(await store.requestLog.list({ route })).toEqual([]);
    });

    it('list filters by route, change, served variant and a [from, to) window, newest first, limited', async () => {
      const store = getStore();
      const route = uid('route');
      const changeId = uid('chg');
      const a = requestRecord({ route, changeId, servedVariant: 'cand-v2', at: T0 });
      const b = requestRecord({ route, changeId, servedVariant: 'baseline', at: T0 + 10 });
      const c = requestRecord({ route, changeId: null, at: T0 + 20 });
      const d = requestRecord({ route, changeId, servedVariant: 'cand-v2', at: T0 + 30 });
      await store.requestLog.appendBatch([a, b, c, d]);
      const ids = (rows: RequestRecord[]) => rows.map((r) => r.requestId);
      expect(ids(await store.requestLog.list({ route }))).toEqual(ids([d, c, b, a]));
      expect(ids(await store.requestLog.list({ changeId }))).toEqual(ids([d, b, a]));
      expect(ids(await store.requestLog.list({ changeId, variant: 'cand-v2' }))).toEqual(ids([d, a]));
      expect(ids(await store.requestLog.list({ route, from: T0 + 10, to: T0 + 30 }))).toEqual(ids([c, b]));
      expect(ids(await store.requestLog.list({ route, limit: 2 }))).toEqual(ids([d, c]));
      expect(await store.requestLog.list({ route: uid('route') })).toEqual([]);
    });

    it('deleteBefore deletes the oldest rows before a time, at most `limit` per call, and counts them', async () => {
      const store = getStore();
      const route = uid('route');
      // Far older than every other test's rows (which sit at T0), so only these can match.
      const rows = Array.from({ length: 7 }, (_, i) => requestRecord({ route, at: 1_000 + i }));
      await store.requestLog.appendBatch(rows);
      expect(await store.requestLog.deleteBefore(1_005, 3)).toBe(3);
      expect((await store.requestLog.list({ route })).map((r) => r.at).sort()).toEqual([
        1_003, 1_004, 1_005, 1_006,
      ]);
      expect(await store.requestLog.deleteBefore(1_005, 10)).toBe(2);
      expect(await store.requestLog.deleteBefore(1_005, 10)).toBe(0);
      expect(await store.requestLog.deleteBefore(1_005, 0)).toBe(0);
      expect((await store.requestLog.list({ route })).map((r) => r.at).sort()).toEqual([1_005, 1_006]);
    });

    it('appends inside a transaction and rolls back with it', async () => {
      const store = getStore();
      const route = uid('route');
      const kept = requestRecord({ route });
      await store.transaction((tx) => tx.requestLog.appendBatch([kept]));
      await expect(
        store.transaction(async (tx) => {
          await tx.requestLog.appendBatch([requestRecord({ route })]);
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      expect((await store.requestLog.list({ route })).map((r) => r.requestId)).toEqual([kept.requestId]);
    });
  });

  describe('settings', () => {
    it('setIfAbsent keeps the first value and returns what is stored', async () => {
      const store = getStore();
      const key = uid('feedback_secret');
      expect(await store.settings.get(key)).toBeUndefined();
      expect(await store.settings.setIfAbsent(key, 'first')).toBe('first');
      expect(await store.settings.setIfAbsent(key, 'second')).toBe('first');
      expect(await store.settings.get(key)).toBe('first');
    });

    it('concurrent setIfAbsent calls all return the one winner', async () => {
      const store = getStore();
      const key = uid('feedback_secret');
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => store.settings.setIfAbsent(key, `value-${i}`)),
      );
      expect(new Set(results).size).toBe(1);
      expect(await store.settings.get(key)).toBe(results[0]);
    });
  });
}
