import { fnv1a32 } from './fnv1a.js';
import { fmix32, murmurHash3 } from './murmur3.js';

/** A source of uniform numbers in [0, 1). The same shape as the app's `Random` port. */
export type Random = () => number;

/**
 * sfc32, Chris Doty-Humphrey's "Small Fast Chaotic" generator from PractRand (public domain):
 * 128 bits of state, passes PractRand and BigCrush, and needs only 32-bit integer arithmetic,
 * which JavaScript does exactly with `| 0` and `>>> 0`. Returns numbers in [0, 1) with 32 bits
 * of resolution.
 */
export function sfc32(a: number, b: number, c: number, d: number): Random {
  let s0 = a | 0;
  let s1 = b | 0;
  let s2 = c | 0;
  let counter = d | 0;
  return () => {
    const t = (((s0 + s1) | 0) + counter) | 0;
    counter = (counter + 1) | 0;
    s0 = s1 ^ (s1 >>> 9);
    s1 = (s2 + (s2 << 3)) | 0;
    s2 = (s2 << 21) | (s2 >>> 11);
    s2 = (s2 + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

/**
 * A generator seeded from any list of strings and numbers: the same parts give the same
 * sequence, everywhere. The parts are joined unambiguously (JSON), hashed four ways into the
 * 128-bit state, and the first 12 outputs are discarded, as PractRand's author recommends for
 * sfc32 so that similar seeds do not start with similar numbers.
 */
export function seededRandom(...parts: readonly (string | number)[]): Random {
  const key = JSON.stringify(parts);
  const a = murmurHash3(key, 0x9e3779b9);
  const b = murmurHash3(key, a);
  const c = murmurHash3(key, b);
  const d = fnv1a32(key);
  const random = sfc32(a, b, c, d);
  for (let i = 0; i < 12; i++) random();
  return random;
}

/**
 * Generators for named purposes under one seed: `streams('latency')` and `streams('accuracy')`
 * start from different states and are independent for practical purposes, and adding a purpose
 * leaves the others unchanged.
 * The seed parts are hashed once; each purpose's state is that hash with the purpose's own
 * hash mixed into every lane by fmix32 (a bijection, so distinct purposes give distinct
 * states), then warmed up like `seededRandom`. This costs well under a microsecond per purpose,
 * against a few for hashing the parts again (the simulator draws from 7 purposes per call).
 */
export function seededStreams(...parts: readonly (string | number)[]): (purpose: string) => Random {
  const key = JSON.stringify(parts);
  const a = murmurHash3(key, 0x9e3779b9);
  const b = murmurHash3(key, a);
  const c = murmurHash3(key, b);
  const d = fnv1a32(key);
  return (purpose) => {
    const p = purposeHash(purpose);
    const random = sfc32(
      fmix32(a ^ p),
      fmix32(b ^ fmix32(p + 1)),
      fmix32(c ^ fmix32(p + 2)),
      fmix32(d ^ fmix32(p + 3)),
    );
    for (let i = 0; i < 12; i++) random();
    return random;
  };
}

/** Purposes are a handful of constant names: their hashes are memoised (a pure cache). */
const purposeHashes = new Map<string, number>();

function purposeHash(purpose: string): number {
  let h = purposeHashes.get(purpose);
  if (h === undefined) {
    h = murmurHash3(purpose, 0x2545f491);
    if (purposeHashes.size < 1024) purposeHashes.set(purpose, h);
  }
  return h;
}
