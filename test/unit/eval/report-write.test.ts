import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileAtomic, writeReport } from '../../../src/adapters/files/write-report.js';
import { buildReport } from '../../../src/core/eval/report.js';
import { reportMarkdown } from '../../../src/core/eval/report-markdown.js';
import { reportSchema } from '../../../src/core/eval/report-schema.js';

/** The smallest run there is: no cases, no criteria, an inconclusive verdict mapped to pass. */
const empty = buildReport({
  runId: 'run-empty',
  change: { id: 'noop', title: 'Nothing yet', offline: { alpha: 0.05, min_slice: 20 } },
  baseline: { name: 'a', provider: 'sim' },
  candidate: { name: 'b', provider: 'sim' },
  datasets: { hash: 'sha256:0', files: [] },
  options: {
    repeats: 1,
    concurrency: 1,
    cache: 'off',
    seed: 0,
    limit: 0,
    filter: ['smoke'],
    shard: { index: 1, count: 2 },
    inconclusive: 'pass',
    resume: null,
    baselineRun: 'run-0',
  },
  startedAt: 0,
  finishedAt: 0,
  verdict: { verdict: 'inconclusive', criteria: [], slices: [] },
  cases: [],
  cacheHits: 0,
});

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ballast-report-'));
  dirs.push(dir);
  return dir;
}

describe('an empty report', () => {
  it('is valid, with null rates and the --inconclusive exit code', () => {
    expect(reportSchema.safeParse(empty).success).toBe(true);
    expect(empty.counts).toMatchObject({ cases: 0, samples: 0, cacheHitRate: null });
    expect(empty.arms.baseline).toMatchObject({ meanScore: null, passRate: null, costUsd: 0 });
    expect(empty.exitCode).toBe(0);
    expect(reportMarkdown(empty)).toContain('_No criteria: the change spec has no `offline.criteria`._');
  });
});

describe('writeReport', () => {
  it('writes each format into missing folders and leaves no temporary file', async () => {
    const dir = await tempDir();
    const targets = {
      json: join(dir, 'a/b/report.json'),
      junit: join(dir, 'a/junit.xml'),
      markdown: join(dir, 'pr.md'),
    };
    const written = await writeReport(empty, targets);
    expect(written.map((w) => [w.format, w.path])).toEqual([
      ['json', targets.json],
      ['junit', targets.junit],
      ['markdown', targets.markdown],
    ]);
    expect(JSON.parse(await readFile(targets.json, 'utf8'))).toEqual(empty);
    expect(await readFile(targets.markdown, 'utf8')).toBe(reportMarkdown(empty));
    const junit = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(
      await readFile(targets.junit, 'utf8'),
    );
    expect(junit.testsuites).toMatchObject({ tests: '0', failures: '0', skipped: '0' });
    expect(await readdir(join(dir, 'a/b'))).toEqual(['report.json']);
    expect(await writeReport(empty, {})).toEqual([]);
  });

  it('replaces an existing file whole and reports the bytes written', async () => {
    const path = join(await tempDir(), 'out.txt');
    await writeFileAtomic(path, 'a much longer first version');
    expect(await writeFileAtomic(path, 'né')).toBe(3);
    expect(await readFile(path, 'utf8')).toBe('né');
  });

  it('removes its temporary file when the rename fails', async () => {
    const dir = await tempDir();
    // A folder where the file should go: the rename over it fails.
    await writeFileAtomic(join(dir, 'taken', 'x'), 'x');
    await expect(writeFileAtomic(join(dir, 'taken'), 'y')).rejects.toThrow();
    expect(await readdir(dir)).toEqual(['taken']);
  });
});
