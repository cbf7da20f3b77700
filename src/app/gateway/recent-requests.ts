import { fmix32 } from '../../core/hash/murmur3.js';
import type { Arm } from '../../core/routing/assign.js';

/** What feedback needs to know about a request it names. */
export interface RequestSummary {
  readonly route: string | null;
  readonly changeId: string | null;
  readonly arm: Arm | null;
  readonly variant: string;
  /** The unit the request was routed for (per-unit rollout metrics need it for feedback). */
  readonly unit?: string;
  readonly at: number;
}

const RANDOM_PREFIX = 'anon-';

/** The random unit the gateway gives a request without an identity: derived from its id. */
export const randomUnitFor = (requestId: string): string => `${RANDOM_PREFIX}${requestId}`;

/** unit === randomUnitFor(requestId), without building the string (this runs on every request). */
function isRandomUnitOf(unit: string, requestId: string): boolean {
  return (
    unit.length === RANDOM_PREFIX.length + requestId.length &&
    unit.startsWith(RANDOM_PREFIX) &&
    unit.endsWith(requestId)
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Marks a slot whose unit is randomUnitFor(its id): nothing more to store. */
const RANDOM_UNIT = 1;

/**
 * The last `capacity` request ids, for linking feedback sent with a key to its variant without a
 * database read on the request path. Memory is bounded by the capacity and kept small per entry,
 * because the gateway holds 100,000 of them by default and a bigger live heap makes V8 let the whole
 * heap grow further between collections.
 *
 * A ring of slots in typed arrays. The gateway's ids are UUIDs: each is kept as four 32-bit words
 * and found through an open-addressing table (linear probing, deletion by backward shift — D. E.
 * Knuth, The Art of Computer Programming vol. 3, §6.4, Algorithm R), so an entry costs ≈ 45 bytes
 * and no object. Ids of another shape (callers other than `ballast serve`) go in a Map. Who served
 * the request is an index into the few distinct route × change × arm × variant tuples, and a random
 * unit derived from the id (randomUnitFor) is a mark, not a string. Strings per entry made this
 * ≈ 30 MB of a gateway's ≈ 45 MB live heap under load (bench/gateway soak). The oldest slot is
 * overwritten when the ring is full.
 */
export class RecentRequests {
  /** Per slot: the id's four words when it is a UUID. */
  readonly #words: Uint32Array;
  /** Per slot: the id when it is not a UUID. */
  readonly #named: (string | undefined)[];
  readonly #byName = new Map<string, number>();
  /** Open addressing over the UUID slots: slot + 1, or 0 for an empty place. */
  readonly #table: Int32Array;
  readonly #mask: number;
  /** Per slot: the unit, RANDOM_UNIT, or undefined. */
  readonly #units: (string | typeof RANDOM_UNIT | undefined)[];
  readonly #at: Float64Array;
  /** Per slot: the index of its tuple, or −1 while the slot is empty. */
  readonly #who: Int32Array;
  readonly #tuples: Omit<RequestSummary, 'unit' | 'at'>[] = [];
  readonly #tupleIndex = new Map<string, number>();
  #next = 0;
  #size = 0;

  constructor(readonly capacity: number) {
    const n = Math.max(0, Math.floor(capacity));
    this.#words = new Uint32Array(4 * n);
    this.#named = new Array(n);
    let places = 2;
    while (places < 2 * n) places *= 2;
    this.#table = new Int32Array(places);
    this.#mask = places - 1;
    this.#units = new Array(n);
    this.#at = new Float64Array(n);
    this.#who = new Int32Array(n).fill(-1);
  }

  add(requestId: string, summary: RequestSummary): void {
    if (this.capacity <= 0) return;
    const uuid = UUID.test(requestId);
    const w = uuid ? words(requestId) : undefined;
    let slot = w ? this.#findWords(w) : this.#byName.get(requestId);
    if (slot === undefined) {
      slot = this.#next;
      this.#next = (this.#next + 1) % this.capacity;
      if (this.#who[slot] !== -1) this.#evict(slot);
      else this.#size++;
      if (w) {
        this.#words.set(w, 4 * slot);
        this.#named[slot] = undefined;
        this.#insertPlace(slot);
      } else {
        this.#named[slot] = requestId;
        this.#byName.set(requestId, slot);
      }
    }
    const unit = summary.unit;
    this.#units[slot] = unit !== undefined && isRandomUnitOf(unit, requestId) ? RANDOM_UNIT : unit;
    this.#at[slot] = summary.at;
    this.#who[slot] = this.#tuple(summary);
  }

  get(requestId: string): RequestSummary | undefined {
    const slot = UUID.test(requestId) ? this.#findWords(words(requestId)) : this.#byName.get(requestId);
    if (slot === undefined) return undefined;
    const stored = this.#units[slot];
    const unit = stored === RANDOM_UNIT ? randomUnitFor(this.#idOf(slot)) : stored;
    return {
      ...this.#tuples[this.#who[slot]!]!,
      at: this.#at[slot]!,
      ...(unit !== undefined ? { unit } : {}),
    };
  }

  get size(): number {
    return this.#size;
  }

  /** The id of an occupied slot, as it was added (UUIDs in lower case). */
  #idOf(slot: number): string {
    const named = this.#named[slot];
    if (named !== undefined) return named;
    const hex = (i: number) => this.#words[4 * slot + i]!.toString(16).padStart(8, '0');
    const [a, b, c, d] = [hex(0), hex(1), hex(2), hex(3)];
    return `${a}-${b.slice(0, 4)}-${b.slice(4)}-${c.slice(0, 4)}-${c.slice(4)}${d}`;
  }

  #evict(slot: number): void {
    const named = this.#named[slot];
    if (named !== undefined) {
      this.#byName.delete(named);
      this.#named[slot] = undefined;
    } else this.#deletePlace(slot);
    this.#units[slot] = undefined;
  }

  #hashOf(slot: number): number {
    const o = 4 * slot;
    const x = this.#words;
    return mix(x[o]!, x[o + 1]!, x[o + 2]!, x[o + 3]!);
  }

  #findWords(w: Uint32Array): number | undefined {
    const x = this.#words;
    for (let p = mix(w[0]!, w[1]!, w[2]!, w[3]!) & this.#mask; ; p = (p + 1) & this.#mask) {
      const entry = this.#table[p]!;
      if (entry === 0) return undefined;
      const o = 4 * (entry - 1);
      if (x[o] === w[0] && x[o + 1] === w[1] && x[o + 2] === w[2] && x[o + 3] === w[3]) return entry - 1;
    }
  }

  #insertPlace(slot: number): void {
    let p = this.#hashOf(slot) & this.#mask;
    while (this.#table[p] !== 0) p = (p + 1) & this.#mask;
    this.#table[p] = slot + 1;
  }

  /** Removes a slot from the table, shifting later entries of its run back (Algorithm R). */
  #deletePlace(slot: number): void {
    const mask = this.#mask;
    const table = this.#table;
    let i = this.#hashOf(slot) & mask;
    while (table[i] !== slot + 1) i = (i + 1) & mask;
    for (;;) {
      table[i] = 0;
      let j = i;
      for (;;) {
        j = (j + 1) & mask;
        const entry = table[j]!;
        if (entry === 0) return;
        const home = this.#hashOf(entry - 1) & mask;
        // The entry at j may move to i unless its home lies cyclically in (i, j].
        const stays = i <= j ? i < home && home <= j : i < home || home <= j;
        if (!stays) {
          table[i] = entry;
          i = j;
          break;
        }
      }
    }
  }

  #tuple(s: RequestSummary): number {
    // A gateway serves a handful of tuples: the first few are found by comparing their fields, with
    // no key to build; past those, by a key (JSON, so a route named "null" and no route differ).
    const tuples = this.#tuples;
    const scanned = Math.min(tuples.length, SCANNED_TUPLES);
    for (let i = 0; i < scanned; i++) {
      const t = tuples[i]!;
      if (t.route === s.route && t.changeId === s.changeId && t.arm === s.arm && t.variant === s.variant)
        return i;
    }
    const key = JSON.stringify([s.route, s.changeId, s.arm, s.variant]);
    let index = tuples.length > SCANNED_TUPLES ? this.#tupleIndex.get(key) : undefined;
    if (index === undefined) {
      index = tuples.length;
      tuples.push({ route: s.route, changeId: s.changeId, arm: s.arm, variant: s.variant });
      this.#tupleIndex.set(key, index);
    }
    return index;
  }
}

/** Tuples found by comparing fields before the keyed lookup (see #tuple). */
const SCANNED_TUPLES = 16;

/** Reused by words(): its result is read before the next call. */
const SCRATCH_WORDS = new Uint32Array(4);

/**
 * A UUID's 128 bits as four words (the caller checked the shape), read digit by digit into a
 * reused array: no string or array per request. Dashes only ever stand alone between digits.
 */
function words(uuid: string): Uint32Array {
  let k = 0;
  for (let i = 0; i < 4; i++) {
    let v = 0;
    for (let n = 0; n < 8; n++) {
      let c = uuid.charCodeAt(k++);
      if (c === 45) c = uuid.charCodeAt(k++); // '-'
      // '0'–'9' → 0–9; 'a'–'f' and 'A'–'F' → 10–15.
      v = (v << 4) | (c <= 57 ? c - 48 : (c | 32) - 87);
    }
    SCRATCH_WORDS[i] = v;
  }
  return SCRATCH_WORDS;
}

/** Mixes the four words into a table position (murmur3's finaliser over a simple combination). */
function mix(a: number, b: number, c: number, d: number): number {
  return fmix32(a ^ Math.imul(b, 0x9e3779b1) ^ Math.imul(c, 0x85ebca77) ^ Math.imul(d, 0xc2b2ae3d));
}
