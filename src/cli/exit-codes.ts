/** Exit codes shared by every command; documented in docs/cli.md. */
export const EXIT = {
  OK: 0,
  /** A check or gate failed. */
  FAILED: 1,
  /** Usage or configuration error. */
  USAGE: 2,
  /** Runtime failure: the store, the network, a bug. */
  RUNTIME: 3,
  /** The offline verdict is inconclusive (ballast eval). */
  INCONCLUSIVE: 4,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
