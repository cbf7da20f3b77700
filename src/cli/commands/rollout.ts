import type { Command } from 'commander';
import type { CliDeps } from '../deps.js';
import { EXIT } from '../exit-codes.js';
import { printJson } from '../io.js';
import { requireProject, storeUrlFor } from '../project-context.js';

const ACTIONS = ['start', 'pause', 'resume', 'advance', 'rollback', 'promote', 'status'] as const;

interface RolloutFlags {
  config?: string;
  server?: string;
  key?: string;
  reason?: string;
  skipGate: boolean;
  json: boolean;
}

interface DecisionJson {
  seq: number;
  at: number;
  actor: string;
  action: string;
  fromStatus: string | null;
  toStatus: string;
  fromStage: number | null;
  toStage: number;
  exposure: number;
  reasons: string[];
  changeId: string;
}

interface MetricJson {
  metric: string;
  nA: number;
  nB: number;
  meanA: number;
  meanB: number;
  delta: number;
  lower: number;
  upper: number;
  tolerance: number;
  harm: boolean;
  safe: boolean;
  enoughData: boolean;
}

interface SuccessJson {
  metric: string;
  direction: 'increase' | 'decrease';
  minEffect: number;
  meanA: number;
  meanB: number;
  delta: number;
  lower: number;
  upper: number;
  verdict: string;
  meetsMinEffect: boolean;
}

interface StatusJson {
  changeId: string;
  rollout: { status: string; exposure: number; stageIndex: number } | null;
  stage: { index: number; of: number; percent: number } | null;
  units: { candidate: number; comparison: number };
  metrics: MetricJson[];
  success?: SuccessJson[];
  next: { action: string; reasons: string[]; flags: string[] };
  decisions: DecisionJson[];
}

const num = (x: number | null | undefined, digits = 4) =>
  x === null || x === undefined || !Number.isFinite(x) ? '—' : Number(x.toFixed(digits)).toString();

/** Where the server is: --server, else BALLAST_URL, else the address `ballast serve` would use. */
function serverUrl(deps: CliDeps, flags: RolloutFlags): string {
  if (flags.server) return flags.server.replace(/\/+$/, '');
  if (deps.env.BALLAST_URL) return deps.env.BALLAST_URL.replace(/\/+$/, '');
  const project = requireProject(deps, flags.config, { projectFileOnly: true }).project!;
  const host =
    project.server.host === '0.0.0.0' || project.server.host === '::' ? '127.0.0.1' : project.server.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${project.server.port}`;
}

export function registerRollout(program: Command, deps: CliDeps, setExit: (code: number) => void): void {
  program
    .command('rollout')
    .argument('<action>', ACTIONS.join(' | '))
    .argument('<change>', 'the change id')
    .description('start, steer or inspect a change’s rollout on a running `ballast serve` (admin API)')
    .option(
      '-c, --config <file>',
      'project file, to find the server address (default: the nearest ballast.yaml)',
    )
    .option(
      '--server <url>',
      'the gateway (default: BALLAST_URL, else server.host:server.port of the project)',
    )
    .option('--key <key>', 'an API key with the admin scope (read for status; default: BALLAST_KEY)')
    .option('--reason <text>', 'why: recorded in the decision log')
    .option('--skip-gate', 'start without a passing stored `ballast eval` run (needs --reason)', false)
    .option('--json', 'print the decision or status as JSON', false)
    .action(async (action: string, change: string, flags: RolloutFlags) => {
      if (!(ACTIONS as readonly string[]).includes(action)) {
        deps.io.err(`unknown action "${action}"; one of ${ACTIONS.join(', ')}`);
        return setExit(EXIT.USAGE);
      }
      if (flags.skipGate && !flags.reason) {
        deps.io.err('--skip-gate needs --reason: say why the offline gate is skipped');
        return setExit(EXIT.USAGE);
      }
      const base = serverUrl(deps, flags);
      if (!/^https?:\/\/[^/]/.test(base) || !URL.canParse(base)) {
        deps.io.err(
          `--server must be the gateway's http(s) URL, such as http://127.0.0.1:8787 (got "${base}")`,
        );
        return setExit(EXIT.USAGE);
      }
      const key = flags.key ?? deps.env.BALLAST_KEY;
      // An HTTP header carries printable ASCII only: a key with anything else is a usage error.
      if (key !== undefined && key !== '' && !/^[\x21-\x7e]+$/.test(key)) {
        deps.io.err('the API key (--key or BALLAST_KEY) must be printable ASCII without spaces');
        return setExit(EXIT.USAGE);
      }
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (key) headers.authorization = `Bearer ${key}`;
      const statusUrl = `${base}/api/changes/${encodeURIComponent(change)}`;
      const call = async (
        url: string,
        body?: unknown,
      ): Promise<{ status: number; body: unknown } | undefined> => {
        try {
          return await deps.http(url, {
            method: body === undefined ? 'GET' : 'POST',
            headers,
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          });
        } catch (error) {
          deps.io.err(
            `cannot reach the gateway at ${base}: ${(error as Error).message} (is \`ballast serve\` running? --server or BALLAST_URL)`,
          );
          setExit(EXIT.RUNTIME);
          return undefined;
        }
      };
      /** An error answer → its message and exit code: 409 refused, other 4xx usage, the rest runtime. */
      const failed = (response: { status: number; body: unknown }): boolean => {
        if (response.status < 400) return false;
        const message =
          (response.body as { error?: { message?: string } })?.error?.message ?? `HTTP ${response.status}`;
        deps.io.err(`${action} ${change}: ${message}`);
        setExit(response.status === 409 ? EXIT.FAILED : response.status < 500 ? EXIT.USAGE : EXIT.RUNTIME);
        return true;
      };
      const ballastAnswer = (body: unknown, field: string): boolean => {
        if (typeof body === 'object' && body !== null && field in body) return true;
        deps.io.err(`${base} did not answer as a Ballast gateway (is --server the gateway's URL?)`);
        setExit(EXIT.RUNTIME);
        return false;
      };
      let body: Record<string, unknown> | undefined;
      if (action !== 'status') {
        body = {
          ...(flags.reason ? { reason: flags.reason } : {}),
          ...(flags.skipGate ? { skip_gate: true } : {}),
        };
        // An advance names the stage it moves from, read first: a second advance sent at the same
        // time (or a retry) is refused instead of skipping a stage.
        if (action === 'advance') {
          const seen = await call(statusUrl);
          if (seen === undefined || failed(seen) || !ballastAnswer(seen.body, 'rollout')) return;
          const stage = (seen.body as StatusJson).stage;
          if (stage) body.from_stage = stage.index + 1;
        }
      }
      const response = await call(action === 'status' ? statusUrl : `${statusUrl}/${action}`, body);
      if (response === undefined || failed(response)) return;
      if (!ballastAnswer(response.body, action === 'status' ? 'rollout' : 'action')) return;
      if (flags.json) {
        printJson(deps.io, response.body);
        return setExit(EXIT.OK);
      }
      if (action === 'status') printStatus(deps, response.body as StatusJson);
      else printDecision(deps, response.body as DecisionJson);
      setExit(EXIT.OK);
    });

  program
    .command('log')
    .description('the decision log: every start, hold, advance, rollback and promotion, with its reasons')
    .option('-c, --config <file>', 'project file (default: the nearest ballast.yaml)')
    .option('--db <url>', 'store (default: BALLAST_DB, else the project store)')
    .option('--change <id>', 'only this change')
    .option('--limit <n>', 'at most this many, newest last', '200')
    .option('--json', 'print the decisions as JSON', false)
    .action(
      async (flags: { config?: string; db?: string; change?: string; limit: string; json: boolean }) => {
        const limit = Number(flags.limit);
        if (!Number.isInteger(limit) || limit < 1) {
          deps.io.err(`--limit must be a whole number ≥ 1 (got "${flags.limit}")`);
          return setExit(EXIT.USAGE);
        }
        const decisions = (await deps.readDecisions(storeUrlFor(deps, flags), {
          ...(flags.change ? { changeId: flags.change } : {}),
        })) as unknown as DecisionJson[];
        const shown = decisions.slice(-limit);
        if (flags.json) printJson(deps.io, shown);
        else if (shown.length === 0) deps.io.out('no decisions yet');
        else for (const d of shown) printDecision(deps, d);
        setExit(EXIT.OK);
      },
    );
}

function printDecision(deps: CliDeps, d: DecisionJson): void {
  deps.io.out(
    `${new Date(d.at).toISOString()}  ${d.changeId} #${d.seq}  ${d.action.toUpperCase()} by ${d.actor}  ` +
      `${d.fromStatus ?? '-'} → ${d.toStatus}, stage ${d.toStage + 1}, ${d.exposure} %`,
  );
  for (const r of d.reasons) deps.io.out(`    ${r}`);
}

function printStatus(deps: CliDeps, s: StatusJson): void {
  if (!s.rollout) {
    deps.io.out(`${s.changeId}: no rollout yet`);
  } else {
    deps.io.out(
      `${s.changeId}: ${s.rollout.status}, stage ${(s.stage?.index ?? 0) + 1}/${s.stage?.of ?? '?'} at ${s.rollout.exposure} % · units per arm: candidate ${s.units.candidate}, comparison ${s.units.comparison}`,
    );
  }
  if (s.metrics.length > 0) {
    deps.io.out(
      '  metric                     comparison  candidate   Δ           one-sided bounds          tolerance  verdict',
    );
    for (const m of s.metrics)
      deps.io.out(
        `  ${m.metric.padEnd(26)} ${num(m.meanA).padEnd(11)} ${num(m.meanB).padEnd(11)} ${num(m.delta).padEnd(11)} [${num(m.lower)}, ${num(m.upper)}]`.padEnd(
          100,
        ) +
          ` ${num(m.tolerance).padEnd(10)} ${m.harm ? 'HARM' : m.safe ? 'safe' : m.enoughData ? 'no harm proven' : 'not enough data'}`,
      );
  }
  if (s.success && s.success.length > 0) {
    deps.io.out(
      '  success metric             comparison  candidate   Δ           one-sided bounds          min effect verdict',
    );
    for (const m of s.success)
      deps.io.out(
        `  ${`${m.metric} (${m.direction})`.padEnd(26)} ${num(m.meanA).padEnd(11)} ${num(m.meanB).padEnd(11)} ${num(m.delta).padEnd(11)} [${num(m.lower)}, ${num(m.upper)}]`.padEnd(
          100,
        ) +
          ` ${num(m.minEffect).padEnd(10)} ${m.verdict.replaceAll('_', ' ')}${m.meetsMinEffect ? ', min effect proven' : ''}`,
      );
  }
  deps.io.out(`  next: ${s.next.action}${s.next.flags.length ? ` [${s.next.flags.join(', ')}]` : ''}`);
  for (const r of s.next.reasons) deps.io.out(`    ${r}`);
}
