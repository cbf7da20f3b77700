/**
 * The one place that reads the process environment. Everything else receives the snapshot
 * (or values derived from it) as an argument, so tests pass their own.
 */
export type EnvSnapshot = Readonly<Record<string, string | undefined>>;

export function readEnv(): EnvSnapshot {
  return Object.freeze({ ...process.env });
}
