import { toBytes } from './utf8.js';

/**
 * MurmurHash3, x86 32-bit variant (Austin Appleby, public domain; reference implementation
 * MurmurHash3_x86_32 in smhasher/src/MurmurHash3.cpp). Fast, well mixed, not cryptographic:
 * for seeds, buckets and content ids, never for secrets. Returns an unsigned 32-bit integer.
 */
export function murmurHash3(input: string | Uint8Array, seed = 0): number {
  if (typeof input === 'string' && isAscii(input)) return murmurAscii(input, seed);
  const bytes = toBytes(input);
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  const length = bytes.length;
  const blocks = length - (length % 4);
  let h = seed >>> 0;

  for (let i = 0; i < blocks; i += 4) {
    // Little-endian 4-byte block, as the reference reads it on x86.
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }

  // Tail: the 1-3 bytes left over, mixed without the final rotate of h.
  let k = 0;
  const rest = length & 3;
  if (rest === 3) k ^= bytes[blocks + 2]! << 16;
  if (rest >= 2) k ^= bytes[blocks + 1]! << 8;
  if (rest >= 1) {
    k ^= bytes[blocks]!;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }

  h ^= length;
  return fmix32(h);
}

/** Every UTF-16 unit below 0x80: the string's UTF-8 bytes are its char codes. */
function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/**
 * The same hash over an ASCII string, reading char codes as the UTF-8 bytes they are — no
 * TextEncoder allocation. The gateway hashes a unit id on every request of a rollout's route:
 * this path is 2–4× faster (bench/assign: ≈ 600 → ≈ 170–330 ns per gate on this machine).
 */
function murmurAscii(text: string, seed: number): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  const length = text.length;
  const blocks = length - (length % 4);
  let h = seed >>> 0;
  for (let i = 0; i < blocks; i += 4) {
    let k =
      text.charCodeAt(i) |
      (text.charCodeAt(i + 1) << 8) |
      (text.charCodeAt(i + 2) << 16) |
      (text.charCodeAt(i + 3) << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  const rest = length & 3;
  if (rest === 3) k ^= text.charCodeAt(blocks + 2) << 16;
  if (rest >= 2) k ^= text.charCodeAt(blocks + 1) << 8;
  if (rest >= 1) {
    k ^= text.charCodeAt(blocks);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= length;
  return fmix32(h);
}

/**
 * MurmurHash3's finalisation mix: a bijection on 32-bit integers in which every input bit
 * affects every output bit (avalanche). Returns an unsigned 32-bit integer.
 */
export function fmix32(value: number): number {
  let h = value | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
