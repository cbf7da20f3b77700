import OpenAI from 'openai';
import { type RunningGateway, type ServeOptions, startGateway } from '../../src/main/serve.js';
import { type GatewayProjectOptions, gatewayProject } from './gateway-project.js';
import { type RecordingTelemetry, recordingTelemetry } from './recording-telemetry.js';
import { startOpenAIWireServer } from './wire-servers/openai-wire-server.js';
import type { WireServer } from './wire-servers/wire-server.js';

/** `ballast serve` on a random port before one OpenAI-compatible wire server, and the openai client. */
export interface OpenAIGateway {
  readonly upstream: WireServer;
  readonly gw: RunningGateway;
  readonly telemetry: RecordingTelemetry;
  readonly client: OpenAI;
  close(): Promise<void>;
}

/**
 * Starts the upstream, then the gateway on a `gatewayProject` (both variants on that upstream
 * unless `candidateUrl` says otherwise) with recording telemetry, and the official client on it.
 */
export async function startOpenAIGateway(
  project: Omit<GatewayProjectOptions, 'stableUrl'> = {},
  options: Partial<Omit<ServeOptions, 'storeUrl' | 'telemetry'>> = {},
): Promise<OpenAIGateway> {
  const upstream = await startOpenAIWireServer();
  const { dir, loaded } = gatewayProject({ stableUrl: `${upstream.url}/v1`, ...project });
  const telemetry = recordingTelemetry();
  const gw = await startGateway(loaded, {
    storeUrl: `sqlite:${dir}/.ballast/ballast.db`,
    port: 0,
    telemetry: () => telemetry,
    ...options,
  });
  const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'not-needed', maxRetries: 0 });
  return {
    upstream,
    gw,
    telemetry,
    client,
    async close() {
      await gw.close();
      await upstream.close();
    },
  };
}
