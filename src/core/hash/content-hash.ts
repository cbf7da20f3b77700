import { fnv1a32 } from './fnv1a.js';
import { murmurHash3 } from './murmur3.js';
import { utf8Bytes } from './utf8.js';

/**
 * A short hexadecimal content id (dataset case ids, dataset hashes). Two independent 32-bit
 * hashes give 64 bits; with `length` hex digits kept, the chance that two of n items collide is
 * about n² / 2^(4·length+1) (the birthday bound): for 10 digits and 10,000 cases, ≈ 5·10⁻⁵.
 */
export function contentHash(text: string, length = 16): string {
  const bytes = utf8Bytes(text);
  const hex = hex32(murmurHash3(bytes, 0x5bd1e995)) + hex32(fnv1a32(bytes));
  return hex.slice(0, Math.max(1, Math.min(16, length)));
}

function hex32(value: number): string {
  return value.toString(16).padStart(8, '0');
}
