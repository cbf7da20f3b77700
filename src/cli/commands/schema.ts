import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { jsonSchemas } from '../../core/spec/json-schema.js';
import type { CliDeps } from '../deps.js';
import { EXIT } from '../exit-codes.js';
import { printJson } from '../io.js';

export function registerSchema(program: Command, deps: CliDeps, setExit: (code: number) => void): void {
  program
    .command('schema')
    .description(
      'print the JSON Schema of ballast.yaml and change specs (for editors), or of the eval report',
    )
    .option(
      '-k, --kind <kind>',
      'project, change, both, or report (the `ballast eval --json` document)',
      'both',
    )
    .option('-o, --out <dir>', 'write project.schema.json and change.schema.json into this folder instead')
    .action(async (opts: { kind: string; out?: string }) => {
      if (!['project', 'change', 'both', 'report'].includes(opts.kind)) {
        deps.io.err(`--kind must be project, change, both or report (got "${opts.kind}")`);
        return setExit(EXIT.USAGE);
      }
      if (opts.kind === 'report') {
        const { reportJsonSchema } = await import('../../core/eval/report-schema.js');
        printJson(deps.io, reportJsonSchema);
        return setExit(EXIT.OK);
      }
      const schemas = jsonSchemas();
      const picked =
        opts.kind === 'project'
          ? { project: schemas.project }
          : opts.kind === 'change'
            ? { change: schemas.change }
            : schemas;
      if (opts.out !== undefined) {
        const dir = resolve(deps.cwd, opts.out);
        const files = deps.files(dir);
        for (const [kind, schema] of Object.entries(picked)) {
          files.write(`${kind}.schema.json`, `${JSON.stringify(schema, null, 2)}\n`);
          deps.io.out(join(dir, `${kind}.schema.json`));
        }
        return setExit(EXIT.OK);
      }
      printJson(deps.io, opts.kind === 'both' ? picked : Object.values(picked)[0]);
      setExit(EXIT.OK);
    });
}
