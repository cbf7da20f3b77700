import type { SettingsStore } from '../../app/ports/settings-store.js';
import type { SqlContext } from './sql-context.js';

export function sqlSettingsStore(ctx: SqlContext): SettingsStore {
  const { db } = ctx;
  const get = async (key: string): Promise<string | undefined> => {
    const row = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
    return row?.value;
  };
  return {
    get,
    async setIfAbsent(key, value) {
      // Insert-or-nothing, then read back: whichever process inserted first wins, and every
      // process returns the winner's value. A row is never updated, so there is nothing to race on.
      await db
        .insertInto('settings')
        .values({ key, value })
        .onConflict((oc) => oc.column('key').doNothing())
        .execute();
      const stored = await get(key);
      if (stored === undefined) throw new Error(`setting ${key} vanished right after it was written`);
      return stored;
    },
  };
}
