import type { Readable } from 'node:stream';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { AttemptScope } from './http-deadline.js';
import { prematureClose, WireFailure } from './http-errors.js';

export type { EventSourceMessage };

// One event larger than this is not a chat delta; stop before it exhausts memory.
const MAX_EVENT_CHARS = 8 * 1024 * 1024;

/**
 * Server-sent events from a response body, parsed by eventsource-parser (which handles events
 * split across TCP chunks, CRLF, comments and multi-line data). Every chunk restarts the
 * attempt's idle clock. An error from the socket is thrown to the caller as it is, after the events
 * that arrived before it.
 *
 * The body is read with 'data' events, not an async iterator: the iterator allocated a promise, a
 * result and end-of-stream bookkeeping per chunk, on the path of every streamed event. The body is
 * paused while more than MAX_QUEUED events wait for the consumer, so a slow client still holds the
 * upstream back instead of filling memory.
 */
export async function* readSse(
  body: Readable,
  attempt: AttemptScope,
): AsyncGenerator<EventSourceMessage, void, void> {
  if (body.destroyed) throw body.errored ?? prematureClose();
  const queue: EventSourceMessage[] = [];
  let overflow = false;
  const parser = createParser({
    maxBufferSize: MAX_EVENT_CHARS,
    onEvent: (event) => queue.push(event),
    onError: (error) => {
      if (error.type === 'max-buffer-size-exceeded') overflow = true;
    },
  });
  const decoder = new TextDecoder();
  let ended = false;
  let failure: unknown;
  let paused = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const feed = (text: string): void => {
    if (overflow) throw new WireFailure({ kind: 'upstream', message: 'a stream event exceeded 8 MiB' });
    parser.feed(text);
  };
  const stopWith = (error: unknown) => {
    if (ended || failure !== undefined) return;
    failure = error;
    notify();
  };
  const onData = (chunk: Buffer) => {
    if (ended || failure !== undefined) return;
    attempt.touch();
    try {
      feed(decoder.decode(chunk, { stream: true }));
    } catch (error) {
      stopWith(error);
      return;
    }
    if (queue.length > MAX_QUEUED && !paused) {
      paused = true;
      body.pause();
    }
    notify();
  };
  const onEnd = () => {
    if (ended || failure !== undefined) return;
    // A body that ends without the blank line closing its last event still meant that event
    // (llama.cpp and some proxies do this), so dispatch it instead of dropping it.
    try {
      feed(`${decoder.decode()}\n\n`);
    } catch (error) {
      stopWith(error);
      return;
    }
    ended = true;
    notify();
  };
  const onClose = () => stopWith(body.errored ?? prematureClose());
  body.on('data', onData);
  body.on('end', onEnd);
  body.on('error', stopWith);
  body.on('close', onClose);
  try {
    for (;;) {
      while (queue.length > 0) yield queue.shift()!;
      if (failure !== undefined) throw failure;
      if (ended) return;
      if (paused) {
        paused = false;
        body.resume();
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    body.off('data', onData);
    body.off('end', onEnd);
    body.off('error', stopWith);
    body.off('close', onClose);
  }
}

/** Events parsed ahead of the consumer before the body is paused. */
const MAX_QUEUED = 64;
