/**
 * The DDSketch protobuf message (DataDog/sketches-proto `DDSketch.proto`), encoded and decoded by
 * hand. `@datadog/sketches-js` serializes through `protobufjs`, which it does not install
 * (sketches-js issue #26: it is only a dev dependency there), and the three small messages below do
 * not justify a protobuf runtime. The bytes are the standard ones, so any DDSketch implementation
 * (Go, Python, Java, sketches-js with protobufjs) reads what Ballast writes.
 *
 *   message DDSketch     { IndexMapping mapping = 1; Store positiveValues = 2;
 *                          Store negativeValues = 3; double zeroCount = 4; }
 *   message IndexMapping { double gamma = 1; double indexOffset = 2; Interpolation interpolation = 3; }
 *   message Store        { map<sint32, double> binCounts = 1;
 *                          repeated double contiguousBinCounts = 2 [packed = true];
 *                          sint32 contiguousBinIndexOffset = 3; }
 */

export interface SketchStoreData {
  /** Key of the first element of `counts`. */
  readonly offset: number;
  /** Counts of the consecutive keys offset, offset + 1, … */
  readonly counts: readonly number[];
}

export interface SketchData {
  readonly gamma: number;
  readonly indexOffset: number;
  /** 0 NONE (logarithmic), 1 LINEAR, 2 QUADRATIC, 3 CUBIC. */
  readonly interpolation: number;
  readonly positive: SketchStoreData;
  readonly negative: SketchStoreData;
  readonly zeroCount: number;
}

const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const FIXED32 = 5;

class Writer {
  private readonly bytes: number[] = [];
  private readonly scratch = new DataView(new ArrayBuffer(8));

  varint(value: number): void {
    let v = value >>> 0;
    while (v > 0x7f) {
      this.bytes.push((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    this.bytes.push(v);
  }

  tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  double(value: number): void {
    this.scratch.setFloat64(0, value, true);
    for (let i = 0; i < 8; i++) this.bytes.push(this.scratch.getUint8(i));
  }

  sint32(value: number): void {
    this.varint(((value << 1) ^ (value >> 31)) >>> 0);
  }

  message(field: number, body: Writer): void {
    this.tag(field, LEN);
    this.varint(body.bytes.length);
    for (const b of body.bytes) this.bytes.push(b);
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

class Reader {
  pos: number;
  private readonly view: DataView;

  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.buf[this.pos++] as number;
      // Values above 2^32 never occur in these messages; the high bits of a 64-bit varint are skipped.
      if (shift < 32) result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result >>> 0;
      shift += 7;
      if (shift > 63) throw new Error('varint too long');
    }
  }

  double(): number {
    if (this.pos + 8 > this.end) throw new Error('truncated double');
    const value = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return value;
  }

  sint32(): number {
    const n = this.varint();
    return (n >>> 1) ^ -(n & 1);
  }

  sub(): Reader {
    const length = this.varint();
    if (this.pos + length > this.end) throw new Error('truncated message');
    const reader = new Reader(this.buf, this.pos, this.pos + length);
    this.pos += length;
    return reader;
  }

  skip(wireType: number): void {
    if (wireType === VARINT) this.varint();
    else if (wireType === FIXED64) this.pos += 8;
    else if (wireType === LEN) this.pos += this.varint();
    else if (wireType === FIXED32) this.pos += 4;
    else throw new Error(`unsupported wire type ${wireType}`);
  }
}

function writeStore(store: SketchStoreData): Writer {
  const w = new Writer();
  if (store.counts.length > 0) {
    const packed = new Writer();
    for (const c of store.counts) packed.double(c);
    w.message(2, packed);
  }
  if (store.offset !== 0) {
    w.tag(3, VARINT);
    w.sint32(store.offset);
  }
  return w;
}

export function encodeSketchData(data: SketchData): Uint8Array {
  const mapping = new Writer();
  mapping.tag(1, FIXED64);
  mapping.double(data.gamma);
  if (data.indexOffset !== 0) {
    mapping.tag(2, FIXED64);
    mapping.double(data.indexOffset);
  }
  if (data.interpolation !== 0) {
    mapping.tag(3, VARINT);
    mapping.varint(data.interpolation);
  }
  const w = new Writer();
  w.message(1, mapping);
  w.message(2, writeStore(data.positive));
  w.message(3, writeStore(data.negative));
  if (data.zeroCount !== 0) {
    w.tag(4, FIXED64);
    w.double(data.zeroCount);
  }
  return w.finish();
}

/** Reads a Store into dense form; sparse `binCounts` entries are folded in with the contiguous ones. */
function readStore(r: Reader): SketchStoreData {
  const sparse = new Map<number, number>();
  const contiguous: number[] = [];
  let offset = 0;
  while (r.pos < r.end) {
    const tag = r.varint();
    const field = tag >>> 3;
    const wireType = tag & 7;
    if (field === 1 && wireType === LEN) {
      const entry = r.sub();
      let key = 0;
      let value = 0;
      while (entry.pos < entry.end) {
        const t = entry.varint();
        if (t >>> 3 === 1 && (t & 7) === VARINT) key = entry.sint32();
        else if (t >>> 3 === 2 && (t & 7) === FIXED64) value = entry.double();
        else entry.skip(t & 7);
      }
      sparse.set(key, (sparse.get(key) ?? 0) + value);
    } else if (field === 2 && wireType === LEN) {
      const packed = r.sub();
      while (packed.pos < packed.end) contiguous.push(packed.double());
    } else if (field === 2 && wireType === FIXED64) {
      contiguous.push(r.double());
    } else if (field === 3 && wireType === VARINT) {
      offset = r.sint32();
    } else {
      r.skip(wireType);
    }
  }
  if (sparse.size === 0) return { offset, counts: contiguous };
  const keys = [...sparse.keys()];
  if (contiguous.length > 0) keys.push(offset, offset + contiguous.length - 1);
  const min = Math.min(...keys);
  const max = Math.max(...keys);
  const counts = new Array<number>(max - min + 1).fill(0);
  contiguous.forEach((c, i) => {
    counts[offset + i - min] = (counts[offset + i - min] as number) + c;
  });
  for (const [key, value] of sparse) counts[key - min] = (counts[key - min] as number) + value;
  return { offset: min, counts };
}

export function decodeSketchData(bytes: Uint8Array): SketchData {
  const r = new Reader(bytes);
  let gamma = Number.NaN;
  let indexOffset = 0;
  let interpolation = 0;
  let positive: SketchStoreData = { offset: 0, counts: [] };
  let negative: SketchStoreData = { offset: 0, counts: [] };
  let zeroCount = 0;
  while (r.pos < r.end) {
    const tag = r.varint();
    const field = tag >>> 3;
    const wireType = tag & 7;
    if (field === 1 && wireType === LEN) {
      const m = r.sub();
      while (m.pos < m.end) {
        const t = m.varint();
        if (t >>> 3 === 1 && (t & 7) === FIXED64) gamma = m.double();
        else if (t >>> 3 === 2 && (t & 7) === FIXED64) indexOffset = m.double();
        else if (t >>> 3 === 3 && (t & 7) === VARINT) interpolation = m.varint();
        else m.skip(t & 7);
      }
    } else if (field === 2 && wireType === LEN) positive = readStore(r.sub());
    else if (field === 3 && wireType === LEN) negative = readStore(r.sub());
    else if (field === 4 && wireType === FIXED64) zeroCount = r.double();
    else r.skip(wireType);
  }
  if (!(gamma > 1)) throw new Error('DDSketch without a valid index mapping');
  return { gamma, indexOffset, interpolation, positive, negative, zeroCount };
}

function mergeStores(a: SketchStoreData, b: SketchStoreData): SketchStoreData {
  if (a.counts.length === 0) return b;
  if (b.counts.length === 0) return a;
  const offset = Math.min(a.offset, b.offset);
  const end = Math.max(a.offset + a.counts.length, b.offset + b.counts.length);
  const counts = new Array<number>(end - offset).fill(0);
  for (const s of [a, b])
    for (let i = 0; i < s.counts.length; i++) counts[s.offset - offset + i]! += s.counts[i]!;
  return { offset, counts };
}

/**
 * Two sketches as one: DDSketch is fully mergeable (Masson, Rim & Lee, VLDB 2019, §2.2) — with
 * the same index mapping, the merged sketch's bins are the sums of the two sketches' bins, and
 * it is exactly the sketch of both sets of values together. Throws when the mappings differ.
 */
export function mergeSketchData(a: SketchData, b: SketchData): SketchData {
  if (
    Math.abs(a.gamma - b.gamma) > 1e-12 ||
    a.indexOffset !== b.indexOffset ||
    a.interpolation !== b.interpolation
  )
    throw new Error('sketches with different index mappings cannot be merged');
  return {
    gamma: a.gamma,
    indexOffset: a.indexOffset,
    interpolation: a.interpolation,
    positive: mergeStores(a.positive, b.positive),
    negative: mergeStores(a.negative, b.negative),
    zeroCount: a.zeroCount + b.zeroCount,
  };
}

/**
 * The merge of two base64-encoded DDSketch messages (the `metric_buckets.sketch` column), as
 * base64. Works on the messages alone, without a sketch library, so the store can merge what
 * several gateways flush into one bucket. Throws on a message that does not decode or on
 * different mappings.
 */
export function mergeEncodedSketches(a: string, b: string): string {
  const merged = mergeSketchData(
    decodeSketchData(Buffer.from(a, 'base64')),
    decodeSketchData(Buffer.from(b, 'base64')),
  );
  return Buffer.from(encodeSketchData(merged)).toString('base64');
}
