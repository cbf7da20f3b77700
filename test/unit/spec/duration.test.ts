import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../../src/core/spec/duration.js';

describe('durations', () => {
  it.each([
    ['30s', 30_000],
    ['10m', 600_000],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
    ['250ms', 250],
    ['1.5h', 5_400_000],
  ])('parses %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '10', 'm', '10 minutes', '-5s', '1h30m', '5w', 's10'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('formats to the largest exact unit and round-trips', () => {
    expect(formatDuration(90_000)).toBe('90s');
    expect(formatDuration(7_200_000)).toBe('2h');
    expect(formatDuration(1_500)).toBe('1500ms');
    for (const text of ['30s', '10m', '2h', '7d', '250ms'])
      expect(formatDuration(parseDuration(text) as number)).toBe(text);
  });
});
