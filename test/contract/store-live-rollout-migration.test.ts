import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/adapters/store/open-store.js';
import { withMigrator } from '../helpers/migrate.js';
import { postgresForFile } from '../helpers/postgres.js';

// 0007-one-live-rollout: the database allows one live (running or paused) rollout per change. A
// store that already holds two (two starts in the same instant, before this migration) keeps the
// newest live and has the other marked aborted, deleting nothing.

const dir = mkdtempSync(join(tmpdir(), 'ballast-0007-'));
const postgres = await postgresForFile();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T = 1_760_000_000_000;

describe.each([{ name: 'SQLite', url: `sqlite:${join(dir, 'upgrade.db')}`, run: true }, postgres])(
  '0007-one-live-rollout on an existing $name store',
  ({ url, run }) => {
    it.runIf(run)('keeps the newest live rollout of a change and aborts the other', async () => {
      await withMigrator(url, async (m, db) => {
        const to6 = await m.migrateTo('0006-change-sums');
        if (to6.error) throw to6.error;
        await db
          .insertInto('changes')
          .values({
            id: 'c1',
            route: 'chat',
            candidate: 'cand',
            spec: '{}',
            content_hash: 'h',
            created_at: T,
            updated_at: T,
          })
          .execute();
        const rollout = (id: string, at: number, status = 'running') => ({
          id,
          change_id: 'c1',
          status,
          stage_index: 0,
          exposure: 5,
          version: 1,
          decision_seq: 0,
          created_at: at,
          updated_at: at,
        });
        await db
          .insertInto('rollouts')
          .values([rollout('ro_old', T + 1), rollout('ro_new', T + 2), rollout('ro_done', T, 'rolled_back')])
          .execute();
      });
      const store = await openStore(url);
      try {
        const byId = new Map((await store.rollouts.list({ changeId: 'c1' })).map((r) => [r.id, r]));
        expect(byId.size).toBe(3);
        expect(byId.get('ro_new')).toMatchObject({ status: 'running', exposure: 5 });
        expect(byId.get('ro_old')).toMatchObject({ status: 'aborted', exposure: 0 });
        expect(byId.get('ro_done')).toMatchObject({ status: 'rolled_back' });
        await expect(
          store.rollouts.create({
            id: 'ro_x',
            changeId: 'c1',
            status: 'running',
            stageIndex: 0,
            exposure: 5,
            at: T + 3,
          }),
        ).rejects.toMatchObject({ code: 'BALLAST_ERR_CONFLICT' });
      } finally {
        await store.close();
      }
    });
  },
);
