import { describe, expect, it } from 'vitest';
import { KeyedSerial } from '../../../src/core/async/keyed-serial.js';

describe('KeyedSerial', () => {
  it('runs one task at a time per key, in arrival order, and keys side by side', async () => {
    const serial = new KeyedSerial();
    const log: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const a1 = serial.run('a', async () => {
      log.push('a1 start');
      await gate;
      log.push('a1 end');
      return 1;
    });
    const a2 = serial.run('a', async () => {
      log.push('a2');
      return 2;
    });
    const b1 = serial.run('b', async () => {
      log.push('b1');
      return 3;
    });
    expect(await b1).toBe(3);
    expect(log).toEqual(['a1 start', 'b1']);
    release();
    expect(await Promise.all([a1, a2])).toEqual([1, 2]);
    expect(log).toEqual(['a1 start', 'b1', 'a1 end', 'a2']);
  });

  it('a failed task does not stop the next, and idle keys are forgotten', async () => {
    const serial = new KeyedSerial();
    const failed = serial.run('k', async () => {
      throw new Error('boom');
    });
    const next = serial.run('k', async () => 'ran');
    await expect(failed).rejects.toThrow('boom');
    expect(await next).toBe('ran');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(serial.size).toBe(0);
  });
});
