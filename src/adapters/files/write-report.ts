/**
 * Writes the report files of `ballast eval` (--json FILE, --junit FILE, --markdown FILE).
 * Each file is written to a temporary file beside it and renamed over the target: a CI step that
 * reads the file, or a run killed half-way, sees the old file or the new one, never half of one
 * (rename is atomic within a file system, POSIX rename(2); on Windows it replaces as well).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { reportJunit } from '../../core/eval/report-junit.js';
import { reportMarkdown } from '../../core/eval/report-markdown.js';
import type { EvalReport } from '../../core/eval/report-schema.js';

export type ReportFormat = 'json' | 'junit' | 'markdown';

/** Where to write each format; a format left out is not written. */
export type ReportTargets = Partial<Record<ReportFormat, string>>;

export interface WrittenReport {
  readonly format: ReportFormat;
  /** Absolute. */
  readonly path: string;
  readonly bytes: number;
}

/** The text of one format, as written to its file. */
export async function renderReport(report: EvalReport, format: ReportFormat): Promise<string> {
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'junit': {
      // The XML builder loads only when JUnit output is asked for.
      const { renderJunitXml } = await import('./write-report-junit.js');
      return renderJunitXml(reportJunit(report));
    }
    case 'markdown':
      return reportMarkdown(report);
  }
}

/** Writes `content` to `path` atomically, creating missing folders. Returns the bytes written. */
export async function writeFileAtomic(path: string, content: string): Promise<number> {
  const target = resolve(path);
  await mkdir(dirname(target), { recursive: true });
  // Same folder as the target, so the rename never crosses a file system; dot-named to stay out of globs.
  const temp = join(dirname(target), `.${basename(target)}.${randomUUID()}.tmp`);
  const data = Buffer.from(content, 'utf8');
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(data);
      // Flushed before the rename, or a crash could leave the new name pointing at empty blocks.
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return data.length;
}

/** Writes every requested format; files are independent, so they are written concurrently. */
export async function writeReport(report: EvalReport, targets: ReportTargets): Promise<WrittenReport[]> {
  const formats = (['json', 'junit', 'markdown'] as const).filter((f) => targets[f] !== undefined);
  return Promise.all(
    formats.map(async (format) => {
      const path = resolve(targets[format]!);
      const bytes = await writeFileAtomic(path, await renderReport(report, format));
      return { format, path, bytes };
    }),
  );
}
