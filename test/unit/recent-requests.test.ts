import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecentRequests, type RequestSummary, randomUnitFor } from '../../src/app/gateway/recent-requests.js';

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

  it('keeps UUID ids compactly, finds them in any case, and rebuilds a random unit from the id', () => {
    const recent = new RecentRequests(4);
    const ids = Array.from({ length: 6 }, () => randomUUID());
    ids.forEach((id, i) => {
      recent.add(id, summary(i, { unit: i % 2 ? randomUnitFor(id) : `user-${i}` }));
    });
    expect(recent.size).toBe(4);
    expect(recent.get(ids[0]!)).toBeUndefined();
    expect(recent.get(ids[1]!)).toBeUndefined();
    for (let i = 2; i < 6; i++) {
      const want = summary(i, { unit: i % 2 ? randomUnitFor(ids[i]!) : `user-${i}` });
      expect(recent.get(ids[i]!)).toEqual(want);
      expect(recent.get(ids[i]!.toUpperCase())).toEqual(want);
    }
  });

  it('finds ids whose words differ only in their last bits (one probe run for all)', () => {
    const recent = new RecentRequests(50);
    const id = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    for (let i = 0; i < 80; i++) recent.add(id(i), summary(i));
    for (let i = 0; i < 30; i++) expect(recent.get(id(i))).toBeUndefined();
    for (let i = 30; i < 80; i++) expect(recent.get(id(i))?.at).toBe(summary(i).at);
  });

  it('tells many who-served tuples apart, past the few it finds by comparing fields', () => {
    const recent = new RecentRequests(200);
    const tuple = (i: number) => ({
      route: i % 3 === 0 ? null : i % 3 === 1 ? 'null' : `route-${i % 5}`,
      changeId: i % 4 === 0 ? null : `change-${i % 7}`,
      arm: i % 4 === 0 ? null : i % 2 ? ('candidate' as const) : ('comparison' as const),
      variant: `variant-${i % 11}`,
    });
    const ids = Array.from({ length: 120 }, () => randomUUID());
    // Twice over, so the second round finds every tuple already known.
    for (let round = 0; round < 2; round++)
      for (const [i, id] of ids.entries()) recent.add(id, { ...tuple(i), unit: `user-${i}`, at: i });
    for (const [i, id] of ids.entries())
      expect(recent.get(id)).toEqual({ ...tuple(i), unit: `user-${i}`, at: i });
  });

  it('answers as a plain map of the last ids would, whatever the mix of adds (model-based)', () => {
    const idArb = fc.oneof(
      fc.integer({ min: 0, max: 40 }).map((i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`),
      fc.integer({ min: 0, max: 40 }).map((i) => `req-${i}`),
      fc.uuid(),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.tuple(idArb, fc.boolean()), { maxLength: 200 }),
        (capacity, ops) => {
          const recent = new RecentRequests(capacity);
          // The model: id → summary, plus the order ids took their slots in (re-adding keeps the slot).
          const model = new Map<string, RequestSummary>();
          const order: string[] = [];
          const key = (id: string) => (/^[0-9a-f-]{36}$/i.test(id) ? id.toLowerCase() : id);
          ops.forEach(([id, random], i) => {
            const s = summary(i, { unit: random ? randomUnitFor(id) : `user-${i}` });
            recent.add(id, s);
            const k = key(id);
            if (!model.has(k)) {
              order.push(k);
              if (order.length > capacity) model.delete(order.shift()!);
            }
            model.set(k, { ...s, ...(random ? { unit: randomUnitFor(k) } : {}) });
          });
          expect(recent.size).toBe(model.size);
          for (const [k, s] of model) expect(recent.get(k)).toEqual(s);
          for (const [id] of ops) if (!model.has(key(id))) expect(recent.get(id)).toBeUndefined();
        },
      ),
      { numRuns: 300 },
    );
  });
});
