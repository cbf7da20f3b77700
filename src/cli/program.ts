import { Command, CommanderError } from 'commander';
import { isBallastError } from '../core/errors.js';
import { registerChat } from './commands/chat.js';
import { registerDb } from './commands/db.js';
import { registerEval } from './commands/eval.js';
import { registerInit } from './commands/init.js';
import { registerRollout } from './commands/rollout.js';
import { registerSchema } from './commands/schema.js';
import { registerServe } from './commands/serve.js';
import { registerValidate } from './commands/validate.js';
import type { CliDeps } from './deps.js';
import { EXIT } from './exit-codes.js';
import { CommandExit } from './project-context.js';

const USAGE_CODES = new Set([
  'BALLAST_ERR_CONFIG',
  'BALLAST_ERR_SPEC',
  'BALLAST_ERR_DATASET',
  'BALLAST_ERR_USAGE',
  // A name typed on the command line that does not exist (a route, a variant, a run).
  'BALLAST_ERR_NOT_FOUND',
  'BALLAST_ERR_STORE_UNSUPPORTED',
]);

export function buildProgram(deps: CliDeps, setExit: (code: number) => void): Command {
  const program = new Command()
    .name('ballast')
    .description('Ship model and prompt changes safely: offline gate, canary gateway, always-valid rollouts.')
    .version(deps.version, '-v, --version')
    .showHelpAfterError('(run with --help for usage)')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => deps.io.out(s.replace(/\n$/, '')),
      writeErr: (s) => deps.io.err(s.replace(/\n$/, '')),
    });
  registerInit(program, deps, setExit);
  registerValidate(program, deps, setExit);
  registerSchema(program, deps, setExit);
  registerEval(program, deps, setExit);
  registerChat(program, deps, setExit);
  registerServe(program, deps, setExit);
  registerRollout(program, deps, setExit);
  registerDb(program, deps, setExit);
  for (const cmd of program.commands) cmd.exitOverride();
  for (const cmd of program.commands.flatMap((c) => c.commands)) cmd.exitOverride();
  return program;
}

/** Runs one command line; never throws. Returns the process exit code. */
export async function runCli(argv: readonly string[], deps: CliDeps): Promise<number> {
  let code: number = EXIT.OK;
  const program = buildProgram(deps, (c) => {
    code = c;
  });
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return EXIT.USAGE;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommandExit) return error.exitCode;
    if (error instanceof CommanderError) {
      // --help and --version exit 0; help shown because something was missing exits non-zero.
      return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    if (isBallastError(error)) {
      deps.io.err(`${error.code}: ${error.message}`);
      return USAGE_CODES.has(error.code) ? EXIT.USAGE : EXIT.RUNTIME;
    }
    deps.io.err(
      `Unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    return EXIT.RUNTIME;
  }
}
