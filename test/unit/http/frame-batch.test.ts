import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { FrameBatch } from '../../../src/http/frame-batch.js';

/** A response that records what it was asked to write. */
function recorder() {
  const calls: { op: 'write' | 'end'; text?: string }[] = [];
  const res = {
    write: (text: string) => {
      calls.push({ op: 'write', text });
      return true;
    },
    end: (text?: string) => {
      calls.push(text === undefined ? { op: 'end' } : { op: 'end', text });
    },
  } as unknown as ServerResponse;
  return { res, calls };
}

const tick = () => new Promise<void>((resolve) => process.nextTick(resolve));

describe('FrameBatch', () => {
  it('joins the frames of one turn into one write, after the promise chain that made them', async () => {
    const { res, calls } = recorder();
    const out = new FrameBatch(res);
    out.write('a');
    await Promise.resolve();
    out.write('b');
    expect(calls).toEqual([]);
    await tick();
    expect(calls).toEqual([{ op: 'write', text: 'ab' }]);
    out.write('c');
    await tick();
    expect(calls).toEqual([
      { op: 'write', text: 'ab' },
      { op: 'write', text: 'c' },
    ]);
  });

  it('ends with what is waiting in the same call, once; later frames are dropped', async () => {
    const { res, calls } = recorder();
    const out = new FrameBatch(res);
    out.write('a');
    out.write('b');
    out.end();
    out.end();
    out.write('late');
    await tick();
    expect(calls).toEqual([{ op: 'end', text: 'ab' }]);
  });

  it('ends without data when nothing waits', async () => {
    const { res, calls } = recorder();
    const out = new FrameBatch(res);
    out.write('a');
    await tick();
    out.end();
    expect(calls).toEqual([{ op: 'write', text: 'a' }, { op: 'end' }]);
  });
});
