import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { AbortFanout } from '../../../src/adapters/providers/abort-fanout.js';

describe('AbortFanout', () => {
  it('listens once per caller signal, stops every member when it aborts, and unlistens with the last member', () => {
    const stopped: string[] = [];
    const fanout = new AbortFanout<string>((member) => stopped.push(member));
    const caller = new AbortController();
    const members = Array.from({ length: 200 }, (_, i) => `call-${i}`);
    for (const m of members) fanout.add(caller.signal, m);
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(1);

    for (const m of members.slice(0, 150)) fanout.delete(caller.signal, m);
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(1);
    caller.abort();
    expect(stopped).toEqual(members.slice(150));
    // Already stopped: deleting afterwards is a no-op, and a second abort tells nobody.
    for (const m of members.slice(150)) fanout.delete(caller.signal, m);
    expect(stopped).toHaveLength(50);

    const other = new AbortController();
    fanout.add(other.signal, 'a');
    fanout.add(other.signal, 'b');
    fanout.delete(other.signal, 'a');
    fanout.delete(other.signal, 'b');
    fanout.delete(other.signal, 'b');
    expect(getEventListeners(other.signal, 'abort')).toHaveLength(0);
  });

  it('stops a member added to an aborted signal at once, and survives members removing each other while stopping', () => {
    const stopped: string[] = [];
    const caller = new AbortController();
    caller.abort();
    const fanout: AbortFanout<string> = new AbortFanout((member, signal) => {
      stopped.push(member);
      fanout.delete(signal, member === 'x' ? 'y' : 'x');
    });
    fanout.add(caller.signal, 'late');
    expect(stopped).toEqual(['late']);
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);

    const live = new AbortController();
    fanout.add(live.signal, 'x');
    fanout.add(live.signal, 'y');
    live.abort();
    expect(stopped).toEqual(['late', 'x', 'y']);
  });
});
