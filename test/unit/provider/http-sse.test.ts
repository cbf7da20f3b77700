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
    for await (const event of readSse(body, scope)) {
      data.push(event.data);
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
    expect((await events.next()).value?.data).toBe('one');
    await events.return();
    // Destroyed by the iterator's return (the provider destroys it as well, to free the socket).
    expect(body.destroyed).toBe(true);
  });
});
