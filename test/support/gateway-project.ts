import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LoadedProject, loadProject } from '../../src/config/load-project.js';

export interface GatewayProjectOptions {
  /** Base URL of the stable variant's OpenAI-compatible upstream (…/v1). */
  readonly stableUrl: string;
  /** Base URL of the candidate's upstream; default the stable one. */
  readonly candidateUrl?: string;
  /** Extra YAML appended under the candidate variant (indented 4 spaces). */
  readonly candidateExtra?: string;
  /** Extra top-level YAML (auth, server, …). */
  readonly extra?: string;
  /** Guardrail policy for both variants (YAML under `guardrails: default:`). */
  readonly guardrails?: string;
}

/**
 * A project for gateway tests: route `chat` served by `stable`, a `candidate` on its own
 * upstream (fallbacks, timeouts and breaker settings through `candidateExtra`), and a `simv`
 * variant on the built-in sim answering at once. Written to a temp dir and loaded as the CLI would.
 */
export function gatewayProject(o: GatewayProjectOptions): { dir: string; loaded: LoadedProject } {
  const dir = mkdtempSync(join(tmpdir(), 'ballast-gw-'));
  const policy = o.guardrails ?? '    input: []\n    output: []\n';
  const yaml = `store: sqlite:.ballast/ballast.db
providers:
  up-stable:
    type: openai
    baseUrl: ${o.stableUrl}
    apiKey: sk-test-stable
    retries: 1
  up-candidate:
    type: openai
    baseUrl: ${o.candidateUrl ?? o.stableUrl}
    apiKey: sk-test-candidate
    retries: 1
  sim:
    type: sim
    timeScale: 0
variants:
  stable:
    provider: up-stable
    model: m-stable
    guardrails: default
  candidate:
    provider: up-candidate
    model: m-candidate
    guardrails: default
${o.candidateExtra ?? ''}
  simv:
    provider: sim
    model: sim-small
    sim: { error_rate: 0 }
routes:
  chat:
    stable: stable
guardrails:
  default:
${policy}${o.extra ?? ''}
`;
  writeFileSync(join(dir, 'ballast.yaml'), yaml);
  const loaded = loadProject(join(dir, 'ballast.yaml'), {}, dir);
  if (!loaded.ok) throw new Error(loaded.diagnostics.map((d) => `${d.path}: ${d.message}`).join('\n'));
  return { dir, loaded };
}
