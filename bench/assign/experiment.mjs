// bench/assign: local experiments on Ballast's bucket hash — NOT Ballast's code. Two variants of
// src/core/hash/murmur3.ts's murmurHash3(string, seed) that give the same result for every string
// (checked by run.mjs over all ids and a set of non-ASCII strings) but avoid what the profile shows
// the shipped one spends its time on: TextEncoder.encode allocating a fresh Uint8Array per call.
//
//   murmurAscii:      reads UTF-16 code units directly when every one is < 0x80 (then a code unit
//                     IS the UTF-8 byte); any other string falls back to encode + the same loop.
//   murmurEncodeInto: TextEncoder.encodeInto into one reused buffer (no allocation per call).

const encoder = new TextEncoder();
const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function fmix32(value) {
  let h = value | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hashBytes(bytes, length, seed) {
  const blocks = length - (length % 4);
  let h = seed >>> 0;
  for (let i = 0; i < blocks; i += 4) {
    let k = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  const rest = length & 3;
  if (rest === 3) k ^= bytes[blocks + 2] << 16;
  if (rest >= 2) k ^= bytes[blocks + 1] << 8;
  if (rest >= 1) {
    k ^= bytes[blocks];
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
  }
  h ^= length;
  return fmix32(h);
}

/** Same result as murmurHash3(str, seed) for every string; no allocation for ASCII strings. */
export function murmurAscii(str, seed = 0) {
  const length = str.length;
  for (let i = 0; i < length; i++)
    if (str.charCodeAt(i) > 0x7f) {
      const bytes = encoder.encode(str);
      return hashBytes(bytes, bytes.length, seed);
    }
  const blocks = length - (length % 4);
  let h = seed >>> 0;
  for (let i = 0; i < blocks; i += 4) {
    let k =
      str.charCodeAt(i) |
      (str.charCodeAt(i + 1) << 8) |
      (str.charCodeAt(i + 2) << 16) |
      (str.charCodeAt(i + 3) << 24);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  const rest = length & 3;
  if (rest === 3) k ^= str.charCodeAt(blocks + 2) << 16;
  if (rest >= 2) k ^= str.charCodeAt(blocks + 1) << 8;
  if (rest >= 1) {
    k ^= str.charCodeAt(blocks);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
  }
  h ^= length;
  return fmix32(h);
}

let buffer = new Uint8Array(256);

/** Same result as murmurHash3(str, seed); UTF-8 encoded into one reused buffer. */
export function murmurEncodeInto(str, seed = 0) {
  if (str.length * 3 > buffer.length) buffer = new Uint8Array(str.length * 3);
  const { written } = encoder.encodeInto(str, buffer);
  return hashBytes(buffer, written, seed);
}

/** A copy of Ballast's assign() (src/core/routing/assign.ts) with murmurAscii as the bucket hash. */
export function assignAscii(route, unit) {
  const rollout = route.rollout;
  if (!rollout || rollout.exposureBp <= 0) return { variant: route.stable, arm: null, changeId: null };
  const bucket = murmurAscii(unit, rollout.salt) % 10_000;
  const c = rollout.exposureBp;
  const arm =
    bucket < c ? 'candidate' : c > 5_000 || (bucket >= 5_000 && bucket < 5_000 + c) ? 'comparison' : null;
  if (arm === null) return { variant: route.stable, arm: null, changeId: null };
  return { variant: arm === 'candidate' ? rollout.candidate : route.stable, arm, changeId: rollout.changeId };
}
