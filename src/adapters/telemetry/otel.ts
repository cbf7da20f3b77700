import type { Attributes, Tracer } from '@opentelemetry/api';
import type { RequestRecord } from '../../app/ports/gateway-telemetry.js';
import { DIRECT_ROUTE } from './metric-aggregator.js';

export interface OtelExportOptions {
  /** OTLP/HTTP traces endpoint, e.g. http://127.0.0.1:4318/v1/traces (server.otel.endpoint). */
  readonly endpoint: string;
  readonly serviceName: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** The model a variant is configured with (gen_ai.request.model); record.model when it returns undefined. */
  readonly variantModel?: (variant: string) => string | undefined;
  /** How long spans wait in the batch before export (default the SDK's 5 s). */
  readonly scheduledDelayMillis?: number;
  /** Told when the OpenTelemetry packages fail to load or a flush fails. */
  readonly onError?: (error: unknown) => void;
}

/** One CLIENT span per gateway request, exported over OTLP/HTTP. */
export interface OtelExport {
  record(request: RequestRecord): void;
  /** Exports what is buffered now. */
  flush(): Promise<void>;
  /** Exports what is buffered and stops. Idempotent. */
  shutdown(): Promise<void>;
}

/** Spans held while the SDK loads (a few ms after start); more than this are dropped. */
const MAX_QUEUED_BEFORE_LOAD = 2_048;

/** The model a span names: the variant's configured model, else the one that answered. */
export function requestModelOf(r: RequestRecord, variantModel?: (variant: string) => string | undefined) {
  return variantModel?.(r.servedVariant) ?? r.model ?? undefined;
}

/**
 * Span attributes after the OpenTelemetry GenAI semantic conventions (gen_ai.*, error.type) plus
 * Ballast's own (ballast.*). Undefined values are left out rather than sent empty.
 */
export function spanAttributes(r: RequestRecord, requestModel: string | undefined): Attributes {
  const failed = r.outcome === 'error' || r.outcome === 'stream_interrupted';
  const attributes: Attributes = {
    'gen_ai.operation.name': 'chat',
    'gen_ai.usage.input_tokens': r.inputTokens,
    'gen_ai.usage.output_tokens': r.outputTokens,
    'ballast.request_id': r.requestId,
    'ballast.route': r.route ?? DIRECT_ROUTE,
    'ballast.variant': r.servedVariant,
    'ballast.assigned_variant': r.assignedVariant,
    'ballast.fallbacks': Math.max(0, r.attempts.length - 1),
    'ballast.outcome': r.outcome,
    'ballast.stream': r.stream,
  };
  if (requestModel !== undefined) attributes['gen_ai.request.model'] = requestModel;
  if (r.model !== null) attributes['gen_ai.response.model'] = r.model;
  if (r.changeId !== null) attributes['ballast.change'] = r.changeId;
  if (r.arm !== null) attributes['ballast.arm'] = r.arm;
  if (failed) attributes['error.type'] = r.errorKind ?? r.outcome;
  if (r.ttftMs !== null) attributes['ballast.ttft_ms'] = r.ttftMs;
  return attributes;
}

interface Loaded {
  readonly tracer: Tracer;
  readonly provider: { forceFlush(): Promise<void>; shutdown(): Promise<void> };
  readonly kind: number;
  readonly errorCode: number;
}

/**
 * Loads the OpenTelemetry SDK only when called (a dynamic import: a project without `server.otel`
 * never pays for it) and returns at once; spans recorded while it loads are queued and sent after.
 */
export function createOtelExport(options: OtelExportOptions): OtelExport {
  let loaded: Loaded | undefined;
  let failed = false;
  let queue: RequestRecord[] = [];

  const emit = (l: Loaded, r: RequestRecord): void => {
    const requestModel = requestModelOf(r, options.variantModel);
    const span = l.tracer.startSpan(`chat ${requestModel ?? r.servedVariant}`, {
      kind: l.kind,
      startTime: r.at,
      attributes: spanAttributes(r, requestModel),
    });
    if (r.outcome === 'error' || r.outcome === 'stream_interrupted') {
      span.setStatus({ code: l.errorCode, message: r.errorKind ?? r.outcome });
    }
    span.end(r.at + r.latencyMs);
  };

  const loading = (async (): Promise<void> => {
    try {
      const [api, sdk, exporter, resources] = await Promise.all([
        import('@opentelemetry/api'),
        import('@opentelemetry/sdk-trace-base'),
        import('@opentelemetry/exporter-trace-otlp-http'),
        import('@opentelemetry/resources'),
      ]);
      const provider = new sdk.BasicTracerProvider({
        resource: resources.resourceFromAttributes({ 'service.name': options.serviceName }),
        spanProcessors: [
          new sdk.BatchSpanProcessor(
            new exporter.OTLPTraceExporter({ url: options.endpoint, headers: { ...options.headers } }),
            options.scheduledDelayMillis === undefined
              ? {}
              : { scheduledDelayMillis: options.scheduledDelayMillis },
          ),
        ],
      });
      // A tracer of our own provider, not the global one: the gateway does not register itself as
      // the process-wide tracer, so an application embedding it keeps its own setup.
      const l: Loaded = {
        tracer: provider.getTracer('ballast-gateway'),
        provider,
        kind: api.SpanKind.CLIENT,
        errorCode: api.SpanStatusCode.ERROR,
      };
      for (const r of queue) emit(l, r);
      queue = [];
      loaded = l;
    } catch (error) {
      failed = true;
      queue = [];
      options.onError?.(error);
    }
  })();

  let stopping: Promise<void> | undefined;
  return {
    record(r) {
      try {
        if (loaded) emit(loaded, r);
        else if (!failed && queue.length < MAX_QUEUED_BEFORE_LOAD) queue.push(r);
      } catch (error) {
        options.onError?.(error);
      }
    },
    async flush() {
      await loading;
      await loaded?.provider.forceFlush().catch((error: unknown) => options.onError?.(error));
    },
    shutdown() {
      stopping ??= (async () => {
        await loading;
        await loaded?.provider.shutdown().catch((error: unknown) => options.onError?.(error));
      })();
      return stopping;
    },
  };
}
