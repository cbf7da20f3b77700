import { describe, expect, it } from 'vitest';
import { buildSnapshot } from '../../src/app/gateway/routing-table.js';
import { murmurHash3 } from '../../src/core/hash/murmur3.js';
import { armOf, assign, BUCKETS, bucketOf, exposureBp, rolloutSalt } from '../../src/core/routing/assign.js';

const routeAt = (exposure: number) =>
  buildSnapshot(
    { chat: { stable: 'stable' } },
    [{ changeId: 'chg-a', route: 'chat', candidate: 'cand', exposure }],
    1,
  ).routes.get('chat')!;

/** |observed − expected| within z binomial standard deviations. */
function withinBinomial(count: number, n: number, p: number, z = 4): boolean {
  return Math.abs(count - n * p) <= z * Math.sqrt(n * p * (1 - p));
}

describe('routing: buckets and arms (STATS.md §3)', () => {
  it('hashes with MurmurHash3 x86_32 (the STATS.md vector)', () => {
    expect(murmurHash3('hello', 0)).toBe(613153351);
  });

  it('puts 20,000 units at 10 % exposure into arms of binomial size, sticky across requests', () => {
    const route = routeAt(10);
    let candidate = 0;
    let comparison = 0;
    for (let i = 0; i < 20_000; i++) {
      const unit = `user-${i}`;
      const a = assign(route, unit);
      // Evaluated again (a later request of the same unit): the same answer.
      expect(assign(route, unit)).toEqual(a);
      if (a.arm === 'candidate') {
        candidate += 1;
        expect(a.variant).toBe('cand');
      } else if (a.arm === 'comparison') {
        comparison += 1;
        expect(a.variant).toBe('stable');
      } else {
        expect(a).toEqual({ variant: 'stable', arm: null, changeId: null });
      }
    }
    expect(withinBinomial(candidate, 20_000, 0.1)).toBe(true);
    expect(withinBinomial(comparison, 20_000, 0.1)).toBe(true);
  });

  it('moves no unit out of its arm when exposure is raised 5 % → 25 % (or 1 → 5 → 25 → 50 → 100)', () => {
    const steps = [1, 5, 25, 50, 100];
    let violations = 0;
    for (let i = 0; i < 20_000; i++) {
      const unit = `u${i}`;
      let previous: ReturnType<typeof assign> | undefined;
      for (const pct of steps) {
        const a = assign(routeAt(pct), unit);
        if (previous?.arm === 'candidate' && a.arm !== 'candidate') violations += 1;
        // Up to 50 % the comparison arm only grows; above it, comparison units may widen into the candidate.
        if (previous?.arm === 'comparison' && pct <= 50 && a.arm !== 'comparison') violations += 1;
        if (previous?.arm === 'comparison' && a.arm === null) violations += 1;
        previous = a;
      }
    }
    expect(violations).toBe(0);
  });

  it('keeps the arms apart and equal in size at every exposure up to 50 %', () => {
    for (const pct of [0.5, 1, 5, 10, 25, 50]) {
      const bp = exposureBp(pct);
      let c = 0;
      let k = 0;
      for (let b = 0; b < BUCKETS; b++) {
        const arm = armOf(b, bp);
        if (arm === 'candidate') c += 1;
        if (arm === 'comparison') k += 1;
      }
      expect(c).toBe(bp);
      expect(k).toBe(bp);
    }
  });

  it('salts buckets by change, so two changes split users independently', () => {
    const a = rolloutSalt('change-one');
    const b = rolloutSalt('change-two');
    let both = 0;
    for (let i = 0; i < 20_000; i++) {
      const inA = bucketOf(a, `u${i}`) < 1_000;
      const inB = bucketOf(b, `u${i}`) < 1_000;
      if (inA && inB) both += 1;
    }
    // Independent 10 % arms overlap on 1 % of units.
    expect(withinBinomial(both, 20_000, 0.01)).toBe(true);
  });

  it('serves stable without a rollout or at exposure 0', () => {
    const plain = buildSnapshot({ chat: { stable: 's' } }, [], 1).routes.get('chat')!;
    expect(assign(plain, 'u1')).toEqual({ variant: 's', arm: null, changeId: null });
    expect(assign(routeAt(0), 'u1')).toEqual({ variant: 'stable', arm: null, changeId: null });
  });
});
