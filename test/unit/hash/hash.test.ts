import { describe, expect, it } from 'vitest';
import { contentHash } from '../../../src/core/hash/content-hash.js';
import { fnv1a32 } from '../../../src/core/hash/fnv1a.js';
import { murmurHash3 } from '../../../src/core/hash/murmur3.js';
import { utf8Bytes } from '../../../src/core/hash/utf8.js';

describe('MurmurHash3 x86_32', () => {
  // Vectors from the reference implementation (smhasher), as collected in Ian Boyd's widely
  // quoted table; they cover every tail length (0-3 bytes), seeds, and multi-byte UTF-8.
  it.each([
    ['hello', 0, 613153351],
    ['', 0, 0],
    ['', 1, 0x514e28b7],
    ['', 0xffffffff, 0x81f16f39],
    ['\0\0\0\0', 0, 0x2362f9de],
    ['aaaa', 0x9747b28c, 0x5a97808a],
    ['a', 0x9747b28c, 0x7fa09ea6],
    ['ab', 0x9747b28c, 0x74875592],
    ['abc', 0x9747b28c, 0xc84a62dd],
    ['Hello, world!', 0x9747b28c, 0x24884cba],
    ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
    ['ππππππππ', 0x9747b28c, 0xd58063c1],
  ])('%j with seed %d', (text, seed, expected) => {
    expect(murmurHash3(text, seed)).toBe(expected);
  });

  it('hashes bytes and their UTF-8 string alike, and returns unsigned 32-bit integers', () => {
    expect(murmurHash3(utf8Bytes('héllo wörld'), 7)).toBe(murmurHash3('héllo wörld', 7));
    for (const text of ['x', 'yy', 'zzz', 'négatif?', '🙂']) {
      const h = murmurHash3(text, 123);
      expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32).toBe(true);
    }
  });
});

describe('FNV-1a 32', () => {
  it.each([
    ['', 2166136261],
    ['a', 3826002220],
    ['foobar', 0xbf9cf968],
  ])('%j', (text, expected) => {
    expect(fnv1a32(text)).toBe(expected);
  });
});

describe('UTF-8', () => {
  it('encodes 1- to 4-byte sequences and lone surrogates as U+FFFD', () => {
    expect([...utf8Bytes('aé€🙂')]).toEqual([0x61, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x99, 0x82]);
    expect([...utf8Bytes('\ud800')]).toEqual([0xef, 0xbf, 0xbd]);
  });
});

describe('contentHash', () => {
  it('is stable, hexadecimal, of the asked length, and differs for different content', () => {
    const a = contentHash('How do I reset my password?', 12);
    expect(a).toMatch(/^[0-9a-f]{12}$/);
    expect(contentHash('How do I reset my password?', 12)).toBe(a);
    expect(contentHash('How do I reset my password!', 12)).not.toBe(a);
    expect(contentHash('x')).toHaveLength(16);
  });
});

describe('murmurHash3: the ASCII fast path', () => {
  it('hashes an ASCII string exactly as its UTF-8 bytes, for every length mod 4 and seed', () => {
    for (const text of ['', 'a', 'ab', 'abc', 'abcd', 'hello', 'user-123456', 'x'.repeat(97), '~\u007f!']) {
      for (const seed of [0, 1, 0xdeadbeef, 2 ** 32 - 1]) {
        expect(murmurHash3(text, seed)).toBe(murmurHash3(utf8Bytes(text), seed));
      }
    }
    expect(murmurHash3('hello', 0)).toBe(613153351);
    // Non-ASCII text takes the UTF-8 path.
    expect(murmurHash3('héllo', 7)).toBe(murmurHash3(utf8Bytes('héllo'), 7));
  });
});
