import { PassThrough } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { AttemptScope } from '../../../src/adapters/providers/http-deadline.js';
import { WireFailure } from '../../../src/adapters/providers/http-errors.js';
import { readSse } from '../../../src/adapters/providers/http-sse.js';

/** An attempt that only counts the chunks it was told of (each restarts its idle clock). */
function attempt() {
  const seen = { touches: 0 };
  return { seen, scope: { received: () => seen.touches++ } as unknown as AttemptScope };
}

async function collect(body: PassThrough, scope: AttemptScope, slow = false) {
  const data: string[] = [];
  let error: unknown;
  let pausedSeen = false;
  try {
    for await (const events of readSse(body, scope)) {
      expect(events.length).toBeGreaterThan(0);
      for (const event of events) data.push(event.data);
      if (body.isPaused()) pausedSeen = true;
      if (slow && data.length % 25 === 0) await tick();
    }
  } catch (e) {
    error = e;
  }
  return { data, error, pausedSeen };
}

describe('readSse', () => {
  it('reads events split across chunks, CRLF and comments, and a last event without its blank line', async () => {
    const body = new PassThrough();
    const { seen, scope } = attempt();
    const done = collect(body, scope);
    body.write('data: {"a"');
    body.write(':1}\r\n\r\n: a comment\n\ndata: two\n');
    await tick();
    body.write('\ndata: three');
    body.end();
    const { data, error } = await done;
    expect(error).toBeUndefined();
    expect(data).toEqual(['{"a":1}', 'two', 'three']);
    // Each read restarts the idle clock (writes that wait in the stream together are one read).
    expect(seen.touches).toBeGreaterThanOrEqual(2);
  });

  it('decodes UTF-8 split across reads, drops a leading byte-order mark, and reads later ASCII-ended reads the same', async () => {
    const body = new PassThrough();
    const done = collect(body, attempt().scope);
    const bytes = (text: string) => Buffer.from(text, 'utf8');
    const gross = bytes('data: Größe\n\n');
    const cut = gross.indexOf(0xc3) + 1; // inside "ö"
    const reads = [
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes('data: one\n\n')]),
      gross.subarray(0, cut),
      gross.subarray(cut),
      bytes('data: café €\n\n'),
      bytes('data: naïve\n\n'),
      Buffer.concat([bytes('data: '), Buffer.from([0xe2, 0x82])]),
      Buffer.concat([Buffer.from([0xac]), bytes(' end\n\n')]),
    ];
    for (const read of reads) {
      body.write(read);
      await tick();
    }
    body.end();
    const { data, error } = await done;
    expect(error).toBeUndefined();
    expect(data).toEqual(['one', 'Größe', 'café €', 'naïve', '€ end']);
  });

  it('reads no further than the consumer: a slow one holds the body back and loses nothing', async () => {
    const body = new PassThrough();
    const done = collect(body, attempt().scope, true);
    // 1,000 events in ten chunks, written at once: far more than the consumer takes per turn.
    for (let chunk = 0; chunk < 10; chunk++) {
      let text = '';
      for (let i = 0; i < 100; i++) text += `data: ${chunk * 100 + i}\n\n`;
      body.write(text);
    }
    body.end();
    const { data, error, pausedSeen } = await done;
    expect(error).toBeUndefined();
    expect(data).toEqual(Array.from({ length: 1000 }, (_, i) => String(i)));
    expect(pausedSeen).toBe(true);
  });

  it('gives the events that came before a socket error, then the error itself', async () => {
    const body = new PassThrough();
    const done = collect(body, attempt().scope);
    body.write('data: one\n\ndata: two\n\n');
    await tick();
    body.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    const { data, error } = await done;
    expect(data).toEqual(['one', 'two']);
    expect(error).toMatchObject({ code: 'ECONNRESET' });
  });

  it('a body closed without an error before its end is a premature close, not a clean end', async () => {
    const body = new PassThrough();
    const done = collect(body, attempt().scope);
    body.write('data: one\n\n');
    await tick();
    body.destroy();
    const { data, error } = await done;
    expect(data).toEqual(['one']);
    expect(error).toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
    const gone = new PassThrough();
    gone.destroy();
    expect((await collect(gone, attempt().scope)).error).toMatchObject({
      code: 'ERR_STREAM_PREMATURE_CLOSE',
    });
  });

  it('stops at an event over 8 MiB with an upstream failure', async () => {
    const body = new PassThrough();
    const done = collect(body, attempt().scope);
    body.write('data: small\n\n');
    await tick();
    // The event is still open after 9 MiB: more than the parser holds for one event.
    body.write(`data: ${'x'.repeat(9 * 1024 * 1024)}`);
    await tick();
    body.write('\n\ndata: after\n\n');
    body.end();
    const { data, error } = await done;
    expect(data).toEqual(['small']);
    expect(error).toBeInstanceOf(WireFailure);
    expect((error as WireFailure).failure.kind).toBe('upstream');
  });

  it('lets go of the body when the consumer stops early', async () => {
    const body = new PassThrough();
    body.write('data: one\n\ndata: two\n\n');
    const events = readSse(body, attempt().scope);
    // The events of one read come together.
    expect((await events.next()).value?.map((e) => e.data)).toEqual(['one', 'two']);
    await events.return();
    // Destroyed by the iterator's return (the provider destroys it as well, to free the socket).
    expect(body.destroyed).toBe(true);
  });
});
