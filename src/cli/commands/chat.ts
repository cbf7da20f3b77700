import type { Command } from 'commander';
import { resolveTarget } from '../../app/chat/resolve-target.js';
import { applyVariant } from '../../core/provider/apply-variant.js';
import { CACHE_MODES, type CacheMode } from '../../core/provider/cache-mode.js';
import type { ChatResult, ProviderFailure } from '../../core/provider/chat.js';
import type { CliDeps } from '../deps.js';
import { EXIT } from '../exit-codes.js';
import { printJson } from '../io.js';
import { requireProject, storeUrlFor } from '../project-context.js';

interface ChatFlags {
  config?: string;
  db?: string;
  stream: boolean;
  json: boolean;
  cache: string;
  sample: string;
}

function summary(variant: string, id: string, r: ChatResult): string {
  const cost = r.costUsd > 0 ? ` · $${r.costUsd.toFixed(6)}` : '';
  const cached = r.cached ? ' · cached' : '';
  return (
    `${variant} (${id}) · ${Math.round(r.latencyMs)} ms · first token ${Math.round(r.ttftMs)} ms · ` +
    `${r.usage.inputTokens}→${r.usage.outputTokens} tokens${cost} · ${r.finishReason}${cached}` +
    (r.attempts > 1 ? ` · ${r.attempts} attempts` : '')
  );
}

/** A tool call as one line, `name(arguments)`, for the terminal (the JSON output has them whole). */
function toolCallLine(call: unknown): string {
  const fn = (call as { function?: { name?: unknown; arguments?: unknown } } | null)?.function;
  const name = typeof fn?.name === 'string' ? fn.name : '?';
  return `tool call: ${name}(${typeof fn?.arguments === 'string' ? fn.arguments : ''})`;
}

const describeFailure = (f: ProviderFailure) =>
  `${f.kind}${f.status ? ` (HTTP ${f.status})` : ''}: ${f.message}${f.attempts > 1 ? ` after ${f.attempts} attempts` : ''}`;

export function registerChat(program: Command, deps: CliDeps, setExit: (code: number) => void): void {
  program
    .command('chat')
    .argument('<target>', 'a route (served by its stable variant) or a variant')
    .argument('<message...>', 'the user message')
    .description("send one message to a variant's model: check a provider, a prompt or the sim")
    .option('-c, --config <file>', 'project file (default: the nearest ballast.yaml)')
    .option('--stream', 'stream the answer as it arrives', false)
    .option('--cache <mode>', `response cache: ${CACHE_MODES.join(', ')}`, 'off')
    .option('--sample <n>', 'sample index (a different draw of the same request)', '0')
    .option('--db <url>', 'store for the response cache (default: BALLAST_DB, else the project store)')
    .option('--json', 'print the result as JSON', false)
    .action(async (name: string, words: string[], opts: ChatFlags) => {
      if (!(CACHE_MODES as readonly string[]).includes(opts.cache)) {
        deps.io.err(`--cache must be one of ${CACHE_MODES.join(', ')} (got "${opts.cache}")`);
        return setExit(EXIT.USAGE);
      }
      const sampleIndex = Number(opts.sample);
      if (!Number.isInteger(sampleIndex) || sampleIndex < 0) {
        deps.io.err(`--sample must be a whole number ≥ 0 (got "${opts.sample}")`);
        return setExit(EXIT.USAGE);
      }
      const loaded = requireProject(deps, opts.config, { projectFileOnly: true });
      const project = loaded.project!;
      const target = resolveTarget(project, name);
      const variant = project.variants[target.variant]!;
      const request = applyVariant(
        variant,
        loaded.systemPrompts[target.variant],
        [{ role: 'user', content: words.join(' ') }],
        {},
        { sampleIndex },
      );
      const storeUrl = opts.cache === 'off' ? '' : storeUrlFor(deps, opts);
      const models = await deps.openModels(loaded, { cache: opts.cache as CacheMode, storeUrl });
      try {
        const provider = models.forVariant(target.variant);
        let result: ChatResult | undefined;
        let failure: ProviderFailure | undefined;
        if (opts.stream) {
          for await (const event of provider.stream(request)) {
            if (event.type === 'delta' && !opts.json) deps.io.write(event.text);
            else if (event.type === 'done') result = event.result;
            else if (event.type === 'error') failure = event.failure;
          }
          // End the streamed line, also when a failure cut it short.
          if (!opts.json && (result?.text !== undefined || failure?.afterContent)) deps.io.write('\n');
        } else {
          const outcome = await provider.complete(request);
          if (outcome.ok) result = outcome.result;
          else failure = outcome.failure;
          if (result && !opts.json && (result.text !== '' || !result.toolCalls?.length))
            deps.io.out(result.text);
        }
        // A model that called tools (the variant's params can offer them) answers with no text.
        if (result && !opts.json) for (const call of result.toolCalls ?? []) deps.io.out(toolCallLine(call));
        if (opts.json) {
          printJson(deps.io, {
            ...target,
            provider: provider.id,
            ok: !failure,
            result,
            failure,
            cache: models.cacheStats(),
          });
        } else if (result) {
          deps.io.err(deps.io.color.dim(summary(target.variant, provider.id, result)));
        }
        if (failure && !opts.json) deps.io.err(deps.io.color.red(describeFailure(failure)));
        setExit(failure ? EXIT.RUNTIME : EXIT.OK);
      } finally {
        await models.close();
      }
    });
}
