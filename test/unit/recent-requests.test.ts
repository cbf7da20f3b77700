import { describe, expect, it } from 'vitest';
import { RecentRequests, type RequestSummary } from '../../src/app/gateway/recent-requests.js';

const summary = (i: number, over: Partial<RequestSummary> = {}): RequestSummary => ({
  route: 'chat',
  changeId: i % 2 ? 'new-prompt' : null,
  arm: i % 2 ? 'candidate' : null,
  variant: i % 2 ? 'candidate' : 'stable',
  unit: `user-${i}`,
  at: 1_760_000_000_000 + i,
  ...over,
});

describe('RecentRequests', () => {
  it('gives back what was added, and forgets the oldest beyond its capacity', () => {
    const recent = new RecentRequests(3);
    for (let i = 0; i < 5; i++) recent.add(`req-${i}`, summary(i));
    expect(recent.size).toBe(3);
    expect(recent.get('req-0')).toBeUndefined();
    expect(recent.get('req-1')).toBeUndefined();
    for (let i = 2; i < 5; i++) expect(recent.get(`req-${i}`)).toEqual(summary(i));
    // The ring keeps turning: the next three replace the three kept.
    for (let i = 5; i < 8; i++) recent.add(`req-${i}`, summary(i));
    expect([2, 3, 4].map((i) => recent.get(`req-${i}`))).toEqual([undefined, undefined, undefined]);
    expect(recent.get('req-7')).toEqual(summary(7));
  });

  it('updates an id added twice in place, without evicting another', () => {
    const recent = new RecentRequests(2);
    recent.add('a', summary(1));
    recent.add('b', summary(2));
    recent.add('a', summary(3));
    expect(recent.size).toBe(2);
    expect(recent.get('a')).toEqual(summary(3));
    expect(recent.get('b')).toEqual(summary(2));
  });

  it('keeps a route named "null" apart from no route, and omits an absent unit', () => {
    const recent = new RecentRequests(10);
    recent.add('x', summary(0, { route: null }));
    recent.add('y', summary(0, { route: 'null' }));
    const { unit: _u, ...noUnit } = summary(4);
    recent.add('z', noUnit);
    expect(recent.get('x')?.route).toBeNull();
    expect(recent.get('y')?.route).toBe('null');
    expect(recent.get('z')).toEqual(noUnit);
    expect(Object.hasOwn(recent.get('z')!, 'unit')).toBe(false);
  });

  it('remembers nothing at capacity 0', () => {
    const recent = new RecentRequests(0);
    recent.add('a', summary(1));
    expect(recent.get('a')).toBeUndefined();
    expect(recent.size).toBe(0);
  });
});
