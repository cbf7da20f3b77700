import { describe, expect, it } from 'vitest';
import { didYouMean } from '../../../src/core/spec/did-you-mean.js';

describe('didYouMean', () => {
  const known = ['stages', 'alpha', 'auto_advance', 'auto_rollback', 'auto_promote', 'restore_within'];
  it('suggests the closest key for a typo', () => {
    expect(didYouMean('stagse', known)).toBe('stages');
    expect(didYouMean('auto_rollbak', known)).toBe('auto_rollback');
    expect(didYouMean('ALPHA', known)).toBe('alpha');
  });
  it('stays silent when nothing is close', () => {
    expect(didYouMean('colour', known)).toBeUndefined();
    expect(didYouMean('x', [])).toBeUndefined();
  });
});
