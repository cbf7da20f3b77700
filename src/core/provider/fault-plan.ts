import type { FaultProfile } from '../spec/fault-profile.js';
import { FAILURE_KINDS, type FailureKind } from '../spec/sim-profile.js';

/** What the fault decorator does to one call, drawn up front so a call's faults are one decision. */
export interface FaultPlan {
  readonly addedLatencyMs: number;
  /** Fail before any content with this kind. */
  readonly failure: FailureKind | undefined;
  /** Streams: go silent for `stallMs` after the first delta. */
  readonly stallMs: number | undefined;
  /** Streams: cut the connection after this many deltas (or before `done`, if fewer come). */
  readonly cutAfterDeltas: number | undefined;
  /** Non-streaming: the body is not valid JSON. */
  readonly malformed: boolean;
}

export const NO_FAULTS: FaultPlan = Object.freeze({
  addedLatencyMs: 0,
  failure: undefined,
  stallMs: undefined,
  cutAfterDeltas: undefined,
  malformed: false,
});

/**
 * Draws one call's faults. A number `error_rate` fails as `upstream` (a 5xx); a per-kind map is
 * tried kind by kind, each with its own probability. Draw order is fixed so a seed reproduces a run.
 */
export function planFaults(profile: FaultProfile | undefined, random: () => number): FaultPlan {
  if (!profile?.enabled) return NO_FAULTS;
  const spike = random() < profile.spike_rate ? profile.spike_ms : 0;
  const addedLatencyMs = profile.latency_ms + random() * profile.jitter_ms + spike;
  let failure: FailureKind | undefined;
  if (typeof profile.error_rate === 'number') {
    if (random() < profile.error_rate) failure = 'upstream';
  } else {
    for (const kind of FAILURE_KINDS) {
      const rate = profile.error_rate[kind];
      if (rate !== undefined && random() < rate && failure === undefined) failure = kind;
    }
  }
  const stallMs = random() < profile.stall_rate ? profile.stall_ms : undefined;
  const cutAfterDeltas = random() < profile.cut_rate ? 1 + Math.floor(random() * 4) : undefined;
  const malformed = random() < profile.malformed_rate;
  return { addedLatencyMs, failure, stallMs, cutAfterDeltas, malformed };
}
