/**
 * UTF-8 bytes of a string. Hashes are defined over bytes, so that the same text hashes the same
 * in Node, the browser and any other implementation of the same algorithm. TextEncoder is a
 * global in both runtimes (WHATWG Encoding Standard); lone surrogates become U+FFFD, as there.
 */
const encoder = new TextEncoder();

export function utf8Bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Bytes of the input: strings are UTF-8 encoded, byte arrays taken as they are. */
export function toBytes(input: string | Uint8Array): Uint8Array {
  return typeof input === 'string' ? encoder.encode(input) : input;
}
