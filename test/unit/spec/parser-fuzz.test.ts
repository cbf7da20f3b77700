import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { ProjectAnalysis } from '../../../src/core/spec/analyse-project.js';
import { analyse, initFiles } from '../../support/memory-project.js';

/** Whatever the input, the analysis returns diagnostics; it never throws. */
function wellFormed(result: ProjectAnalysis): void {
  for (const d of result.diagnostics) {
    expect(typeof d.message).toBe('string');
    expect(d.message.length).toBeGreaterThan(0);
    expect(Number.isInteger(d.line) && d.line >= 0).toBe(true);
    expect(Number.isInteger(d.col) && d.col >= 0).toBe(true);
  }
  if (!result.ok) expect(result.diagnostics.some((d) => d.severity === 'error')).toBe(true);
}

const CHANGE = 'changes/example.yaml';
const base = initFiles();
const baseChange = parse(base[CHANGE] as string) as Record<string, unknown>;
const baseProject = parse(base['ballast.yaml'] as string) as Record<string, unknown>;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** All paths to values in a plain object tree. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([k, v]) => paths(v, [...prefix, k]))];
}

/** Applies one mutation (replace, delete, add a key, rename a key) at a path of a deep copy. */
function mutate(tree: unknown, path: (string | number)[], kind: number, junk: Json, key: string): unknown {
  const copy = structuredClone(tree) as Record<string | number, unknown>;
  if (path.length === 0) return kind === 0 ? junk : copy;
  const parent = path.slice(0, -1).reduce<Record<string | number, unknown>>((o, k) => o[k] as never, copy);
  const last = path[path.length - 1] as string | number;
  if (kind === 0) parent[last] = junk;
  else if (kind === 1) Array.isArray(parent) ? parent.splice(last as number, 1) : delete parent[last];
  else if (kind === 2 && !Array.isArray(parent)) parent[key] = junk;
  else if (kind === 3 && !Array.isArray(parent)) {
    parent[key] = parent[last];
    delete parent[last];
  }
  return copy;
}

const json = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>;

describe('the spec parser never throws past its diagnostics', () => {
  it('on arbitrary text and bytes', () => {
    const text = fc.oneof(fc.string({ maxLength: 400 }), fc.string({ unit: 'binary', maxLength: 200 }));
    const bytes = fc.uint8Array({ maxLength: 300 });
    fc.assert(
      fc.property(fc.oneof(text, bytes), fc.boolean(), (content, asProject) => {
        const files = initFiles();
        files[asProject ? 'ballast.yaml' : CHANGE] = content;
        wellFormed(analyse(files));
      }),
      { numRuns: 1000 },
    );
  });

  it('on YAML built from arbitrary JSON values', () => {
    fc.assert(
      fc.property(json, fc.boolean(), (value, asProject) => {
        const files = initFiles();
        files[asProject ? 'ballast.yaml' : CHANGE] = stringify(value);
        wellFormed(analyse(files));
      }),
      { numRuns: 800 },
    );
  });

  it('on random mutations of the valid example project', () => {
    const changePaths = paths(baseChange);
    const projectPaths = paths(baseProject);
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.nat(),
        fc.integer({ min: 0, max: 3 }),
        json,
        fc.oneof(
          fc.constantFrom('stagse', 'auto_rollbak', 'percnt', 'tpye', '__proto__', 'constructor'),
          fc.string(),
        ),
        (inProject, pick, kind, junk, key) => {
          const files = initFiles();
          const [tree, list, name] = inProject
            ? [baseProject, projectPaths, 'ballast.yaml']
            : [baseChange, changePaths, CHANGE];
          const path = list[pick % list.length] as (string | number)[];
          files[name] = stringify(mutate(tree, path, kind, junk, key));
          wellFormed(analyse(files));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('reports a merge key whose value is not a map instead of throwing (found by this fuzzer)', () => {
    const files = initFiles();
    files[CHANGE] = '<<: 1\nid: x\n';
    expect(analyse(files).diagnostics.map((d) => d.message)).toEqual([
      'YAML error: Merge sources must be maps or map aliases',
    ]);
  });

  it('keeps a mutation-free round trip valid (the fuzz base is itself valid)', () => {
    const files = initFiles();
    files[CHANGE] = stringify(baseChange);
    files['ballast.yaml'] = stringify(baseProject);
    expect(analyse(files).ok).toBe(true);
  });
});
