import { resolve } from 'node:path';
import type { Command } from 'commander';
import { scaffoldProject } from '../../app/project/scaffold-project.js';
import type { CliDeps } from '../deps.js';
import { EXIT } from '../exit-codes.js';
import { printJson } from '../io.js';

export function registerInit(program: Command, deps: CliDeps, setExit: (code: number) => void): void {
  program
    .command('init')
    .argument('[dir]', 'folder to create the project in', '.')
    .description('scaffold a working project on the built-in sim provider (no API key needed)')
    .option('-f, --force', 'overwrite files that already exist', false)
    .option('--json', 'print the result as JSON', false)
    .action((dir: string, opts: { force: boolean; json: boolean }) => {
      const root = resolve(deps.cwd, dir);
      const result = scaffoldProject(deps.files(root), { force: opts.force });
      if (opts.json) printJson(deps.io, { dir: root, ...result });
      if (!result.ok) {
        if (!opts.json) {
          deps.io.err(`Refusing to overwrite existing files in ${root}:`);
          for (const f of result.existing) deps.io.err(`  ${f}`);
          deps.io.err('Pass --force to overwrite them.');
        }
        return setExit(EXIT.USAGE);
      }
      if (!opts.json) {
        const c = deps.io.color;
        deps.io.out(`Created a Ballast project in ${root}:`);
        for (const f of result.written) deps.io.out(`  ${c.green('+')} ${f}`);
        for (const f of result.updated) deps.io.out(`  ${c.yellow('~')} ${f} (added .ballast/)`);
        const cd = dir === '.' ? '' : `cd ${dir} && `;
        deps.io.out(`\nNext: ${c.bold(`${cd}npx ballast validate`)}`);
      }
      setExit(EXIT.OK);
    });
}
