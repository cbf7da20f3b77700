import type { Kysely } from 'kysely';
import type { Store, StoreSession } from '../../app/ports/store.js';
import type { Database } from './database.js';
import type { OpenDatabase } from './open-database.js';
import { sqlApiKeyStore } from './sql-api-key-store.js';
import { sqlChangeStore } from './sql-change-store.js';
import { sqlDecisionStore } from './sql-decision-store.js';
import { sqlEvalRunStore } from './sql-eval-run-store.js';
import { sqlFeedbackStore } from './sql-feedback-store.js';
import { sqlMetricStore } from './sql-metric-store.js';
import { sqlRequestLogStore } from './sql-request-log-store.js';
import { sqlResponseCacheStore } from './sql-response-cache-store.js';
import { sqlRolloutStore } from './sql-rollout-store.js';
import { sqlSettingsStore } from './sql-settings-store.js';
import { sqlUnitTotalsStore } from './sql-unit-totals-store.js';
import { guardStore, toStoreError } from './store-error.js';

function sqlSession(
  db: Kysely<Database>,
  inTransaction: boolean,
  dialect: 'sqlite' | 'postgres',
): StoreSession {
  const ctx = { db, inTransaction, dialect };
  return Object.freeze({
    changes: guardStore('changes', sqlChangeStore(ctx)),
    rollouts: guardStore('rollouts', sqlRolloutStore(ctx)),
    decisions: guardStore('decisions', sqlDecisionStore(ctx)),
    evalRuns: guardStore('evalRuns', sqlEvalRunStore(ctx)),
    metrics: guardStore('metrics', sqlMetricStore(ctx)),
    feedback: guardStore('feedback', sqlFeedbackStore(ctx)),
    apiKeys: guardStore('apiKeys', sqlApiKeyStore(ctx)),
    responseCache: guardStore('responseCache', sqlResponseCacheStore(ctx)),
    requestLog: guardStore('requestLog', sqlRequestLogStore(ctx)),
    settings: guardStore('settings', sqlSettingsStore(ctx)),
    unitTotals: guardStore('unitTotals', sqlUnitTotalsStore(ctx)),
  });
}

/** The Store port over a Kysely database, identical for SQLite and PostgreSQL. */
export function sqlStore(database: OpenDatabase): Store {
  const { db } = database;
  let closing: Promise<void> | undefined;
  return Object.freeze({
    ...sqlSession(db, false, database.target.dialect),
    dialect: database.target.dialect,

    async transaction<T>(fn: (tx: StoreSession) => Promise<T>): Promise<T> {
      // The caller's own errors must come out unchanged (a rollback is often the caller's intent);
      // only failures of BEGIN/COMMIT themselves are translated.
      let thrownByFn: { error: unknown } | undefined;
      try {
        return await db.transaction().execute(async (trx) => {
          try {
            return await fn(sqlSession(trx, true, database.target.dialect));
          } catch (error) {
            thrownByFn = { error };
            throw error;
          }
        });
      } catch (error) {
        if (thrownByFn && thrownByFn.error === error) throw error;
        throw toStoreError(error, 'transaction');
      }
    },

    close(): Promise<void> {
      // Idempotent: a second close (a finally block after an explicit close) is harmless.
      closing ??= database.destroy();
      return closing;
    },
  });
}
