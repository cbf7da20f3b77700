import type { Command } from 'commander';
import type { CliDeps } from '../deps.js';
import { EXIT } from '../exit-codes.js';
import { printJson } from '../io.js';
import { requireProject, storeUrlFor } from '../project-context.js';

interface ServeFlags {
  config?: string;
  db?: string;
  port?: string;
  host?: string;
  json: boolean;
}

export function registerServe(program: Command, deps: CliDeps, setExit: (code: number) => void): void {
  program
    .command('serve')
    .description(
      'start the OpenAI-compatible gateway: point an OpenAI SDK at http://HOST:PORT/v1 and name a route as the model',
    )
    .option('-c, --config <file>', 'project file (default: the nearest ballast.yaml)')
    .option('--port <port>', 'port to listen on (default: server.port, 8787; 0 picks a free one)')
    .option('--host <host>', 'address to bind (default: server.host, 127.0.0.1)')
    .option('--db <url>', 'store (default: BALLAST_DB, else the project store)')
    .option('--json', 'print the listening address as JSON', false)
    .addHelpText(
      'after',
      '\nEndpoints: POST /v1/chat/completions, GET /v1/models, POST /v1/feedback, /healthz, /readyz, /metrics.\n' +
        'Stops on SIGINT or SIGTERM after finishing requests in flight and flushing telemetry. See docs/gateway.md.',
    )
    .action(async (opts: ServeFlags) => {
      let port: number | undefined;
      if (opts.port !== undefined) {
        port = Number(opts.port);
        if (!Number.isInteger(port) || port < 0 || port > 65_535) {
          deps.io.err(`--port must be a whole number from 0 to 65535 (got "${opts.port}")`);
          return setExit(EXIT.USAGE);
        }
      }
      const loaded = requireProject(deps, opts.config);
      const storeUrl = storeUrlFor(deps, opts);
      const running = await deps.serve(loaded, {
        storeUrl,
        ...(port !== undefined ? { port } : {}),
        ...(opts.host !== undefined ? { host: opts.host } : {}),
      });
      const project = loaded.project!;
      if (opts.json) {
        printJson(deps.io, { url: running.url, routes: Object.keys(project.routes), open: running.open });
        // stdout carries the JSON only; the notice a person needs goes to stderr.
        if (running.open)
          deps.io.err(
            `no API keys configured (auth.keys): listening on loopback only${running.refusedHost ? ` (not on ${running.refusedHost})` : ''}`,
          );
      } else {
        deps.io.out(`Ballast gateway listening on ${running.url} — OpenAI base URL ${running.url}/v1`);
        deps.io.out(
          `  routes: ${Object.keys(project.routes).join(', ') || 'none'} · store: ${running.store}`,
        );
        if (running.open)
          deps.io.out(
            `  no API keys configured (auth.keys): listening on loopback only${running.refusedHost ? ` (not on ${running.refusedHost})` : ''}`,
          );
      }
      const signal = await deps.untilSignal();
      deps.io.err(`${signal}: finishing requests in flight and flushing telemetry…`);
      await running.close();
      setExit(EXIT.OK);
    });
}
