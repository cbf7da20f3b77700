import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { folderFiles } from '../adapters/files/folder-files.js';
import type { CliDeps } from '../cli/deps.js';
import { streamIo } from '../cli/io.js';
import { runCli } from '../cli/program.js';
import { readEnv } from '../config/env.js';
import { maskStoreUrl } from '../core/mask-url.js';
import { openModels } from './open-models.js';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** The composition root of the command line: real files, real stores, the process's streams. */
export function cliDeps(overrides: Partial<CliDeps> = {}): CliDeps {
  const env = overrides.env ?? readEnv();
  const version = packageVersion();
  // https://no-color.org: a non-empty NO_COLOR wins; FORCE_COLOR (not "0") forces colour off a TTY.
  const color = env.NO_COLOR
    ? false
    : env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== ''
      ? env.FORCE_COLOR !== '0'
      : process.stdout.isTTY === true;
  return {
    cwd: process.cwd(),
    env,
    io: streamIo(process.stdout, process.stderr, { color }),
    version,
    files: folderFiles,
    // The store drivers (pg, better-sqlite3, Kysely) load only for commands that use them:
    // `ballast validate` starts in about half the time without them.
    openModels: (project, options) => openModels(project, options),
    evaluate: async (project, options, progress) =>
      (await import('./evaluate.js')).evaluate(
        project,
        options,
        progress,
        overrides.cwd ?? process.cwd(),
        version,
      ),
    writeReport: async (report, paths) => {
      const { writeReport } = await import('../adapters/files/write-report.js');
      const written = await writeReport(report, {
        ...(paths.json ? { json: resolve(overrides.cwd ?? process.cwd(), paths.json) } : {}),
        ...(paths.junit ? { junit: resolve(overrides.cwd ?? process.cwd(), paths.junit) } : {}),
        ...(paths.markdown ? { markdown: resolve(overrides.cwd ?? process.cwd(), paths.markdown) } : {}),
      });
      return written.map((w) => w.path);
    },
    serve: async (loaded, options) => {
      const { startGateway } = await import('./serve.js');
      const running = await startGateway(loaded, options);
      return {
        url: running.url,
        open: running.open,
        ...(running.refusedHost ? { refusedHost: running.refusedHost } : {}),
        store: maskStoreUrl(options.storeUrl),
        close: () => running.close(),
      };
    },
    http: async (url, init) => {
      // A gateway that takes the connection and never answers must not hold the command for ever.
      const response = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      return { status: response.status, body };
    },
    readDecisions: async (storeUrl, filter) => {
      const { openStore, isMissingSqliteFile, parseStoreUrl } = await import(
        '../adapters/store/open-store.js'
      );
      // A SQLite store that does not exist holds no decisions; reading it must not create it.
      if (isMissingSqliteFile(parseStoreUrl(storeUrl))) return [];
      const store = await openStore(storeUrl);
      try {
        return await store.decisions.list(filter);
      } finally {
        await store.close();
      }
    },
    untilSignal: () =>
      new Promise((resolve) => {
        const on = (signal: NodeJS.Signals) => {
          process.off('SIGINT', on);
          process.off('SIGTERM', on);
          resolve(signal);
        };
        process.once('SIGINT', on);
        process.once('SIGTERM', on);
      }),
    db: {
      migrate: async (url) => (await import('../adapters/store/open-store.js')).migrateToLatest(url),
      status: async (url) => (await import('../adapters/store/open-store.js')).migrationStatus(url),
    },
    ...overrides,
  };
}

export async function main(argv: readonly string[], overrides: Partial<CliDeps> = {}): Promise<number> {
  return runCli(argv, cliDeps(overrides));
}
