import { describe, expect, it } from 'vitest';
import { CallScope, CancelSource } from '../../../src/app/gateway/call-scope.js';

describe('CancelSource', () => {
  it('fires each listener once, in order; an unsubscribed one not; a late one at once', () => {
    const source = new CancelSource();
    const heard: string[] = [];
    source.onAbort(() => heard.push('a'));
    const off = source.onAbort(() => heard.push('b'));
    source.onAbort(() => heard.push('c'));
    off();
    source.abort();
    source.abort();
    expect(heard).toEqual(['a', 'c']);
    expect(source.aborted).toBe(true);
    source.onAbort(() => heard.push('late'));
    expect(heard).toEqual(['a', 'c', 'late']);
  });

  it("a call scope stops with its client and stops its provider's listener, not the client", () => {
    const client = new CancelSource();
    const scope = new CallScope(client, 60_000);
    const provider: string[] = [];
    scope.signal.onAbort(() => provider.push('stopped'));
    client.abort();
    expect(scope.aborted).toBe(true);
    expect(provider).toEqual(['stopped']);
    scope.dispose();

    const quiet = new CancelSource();
    const done = new CallScope(quiet, 60_000);
    done.abort();
    expect(quiet.aborted).toBe(false);
    done.dispose();
  });
});
