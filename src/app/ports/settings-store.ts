/** Values every process sharing the store must agree on, such as the generated feedback secret. */
export interface SettingsStore {
  get(key: string): Promise<string | undefined>;
  /**
   * Stores value under key unless the key already has one, and returns the value stored now: the
   * given one, or the existing one when another process (or an earlier run) set it first.
   */
  setIfAbsent(key: string, value: string): Promise<string>;
}
