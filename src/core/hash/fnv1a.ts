import { toBytes } from './utf8.js';

const OFFSET_BASIS = 0x811c9dc5;
const PRIME = 0x01000193;

/**
 * FNV-1a, 32 bits (Fowler, Noll, Vo; parameters from draft-eastlake-fnv and
 * http://www.isthe.com/chongo/tech/comp/fnv/): xor each byte in, then multiply by the FNV prime.
 * Returns an unsigned 32-bit integer.
 */
export function fnv1a32(input: string | Uint8Array): number {
  const bytes = toBytes(input);
  let h = OFFSET_BASIS;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, PRIME);
  }
  return h >>> 0;
}
