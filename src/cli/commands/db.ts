import type { Command } from 'commander';
import { maskStoreUrl as maskUrl } from '../../core/mask-url.js';
import type { CliDeps } from '../deps.js';
import { EXIT } from '../exit-codes.js';
import { printJson } from '../io.js';
import { storeUrlFor } from '../project-context.js';

interface DbFlags {
  db?: string;
  config?: string;
  json: boolean;
}

export function registerDb(program: Command, deps: CliDeps, setExit: (code: number) => void): void {
  const db = program.command('db').description('manage the store (SQLite file or PostgreSQL)');
  const common = (cmd: Command) =>
    cmd
      .option('--db <url>', 'sqlite:PATH or postgres://… (default: BALLAST_DB, else the project store)')
      .option('-c, --config <file>', 'project file (default: ./ballast.yaml)')
      .option('--json', 'print the result as JSON', false);

  common(db.command('migrate').description('apply pending migrations (also done on every open)')).action(
    async (opts: DbFlags) => {
      const url = storeUrlFor(deps, opts);
      const applied = await deps.db.migrate(url);
      if (opts.json) printJson(deps.io, { url: maskUrl(url), applied });
      else if (applied.length === 0) deps.io.out(`${maskUrl(url)}: up to date`);
      else {
        deps.io.out(`${maskUrl(url)}: applied ${applied.length} migration(s)`);
        for (const name of applied) deps.io.out(`  ${deps.io.color.green('+')} ${name}`);
      }
      setExit(EXIT.OK);
    },
  );

  common(db.command('status').description('show applied and pending migrations')).action(
    async (opts: DbFlags) => {
      const url = storeUrlFor(deps, opts);
      const status = await deps.db.status(url);
      if (opts.json) {
        printJson(deps.io, status);
        return setExit(EXIT.OK);
      }
      const c = deps.io.color;
      deps.io.out(`${status.dialect} ${status.url}`);
      for (const m of status.applied) deps.io.out(`  ${c.green('applied')}  ${m.name}  ${m.executedAt}`);
      for (const name of status.pending) deps.io.out(`  ${c.yellow('pending')}  ${name}`);
      deps.io.out(
        status.pending.length === 0
          ? 'up to date'
          : `${status.pending.length} pending: run \`ballast db migrate\``,
      );
      setExit(EXIT.OK);
    },
  );
}
