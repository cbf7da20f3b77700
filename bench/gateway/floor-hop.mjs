#!/usr/bin/env node
// The floor under `ballast serve` on this machine: a JSON proxy hop that does what every gateway
// must (read the request, parse it, change the model, send it on, read the answer, parse it,
// serialise it back) and nothing else, built from the parts a Node gateway can choose between. A
// streamed answer is passed through as its bytes arrive (no event is parsed). Targets
// floor-http-http, floor-http-undici and floor-fastify-undici of bench/gateway/run.mjs.
//
//   node floor-hop.mjs --variant http-http|http-undici|fastify-undici --port N --upstream http://127.0.0.1:P
//
// http-http       node:http server, node:http client (keep-alive agent)
// http-undici     node:http server, undici client (the Agent and request Ballast uses)
// fastify-undici  Fastify server (its JSON body parser and reply), undici client — Ballast's pair
// http-undici-events  node:http server, undici client, and a streamed answer read event by event:
//                 each SSE event parsed (eventsource-parser, as Ballast), its JSON parsed and
//                 written again, the events of one read sent in one write — the least a gateway
//                 that checks what it streams must do (non-streaming: as http-undici)

import http from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Fastify and undici as Ballast has them: from the repository's node_modules.
const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'package.json'));
const Agent = require('undici/lib/dispatcher/agent.js');
const undiciRequest = require('undici/lib/api/api-request.js');

const args = process.argv.slice(2);
const arg = (name) => {
  const i = args.indexOf(name);
  if (i < 0 || i + 1 >= args.length) throw new Error(`floor-hop: ${name} is required`);
  return args[i + 1];
};
const variant = arg('--variant');
const port = Number(arg('--port'));
const upstream = new URL(arg('--upstream'));
const PATH = '/v1/chat/completions';

const readAll = (stream) =>
  new Promise((resolve, reject) => {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
  });

const nodeAgent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
const viaNodeHttp = (body, stream) =>
  new Promise((resolve, reject) => {
    const out = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: 'POST',
        path: PATH,
        agent: nodeAgent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) =>
        stream
          ? resolve({ status: res.statusCode ?? 502, stream: res })
          : readAll(res).then((text) => resolve({ status: res.statusCode ?? 502, text }), reject),
    );
    out.on('error', reject);
    out.end(body);
  });

const { createParser } = require('eventsource-parser');

/**
 * A streamed answer re-framed event by event: parsed from the upstream's bytes, each event's JSON
 * parsed and serialised again, and the frames made from one read written at once.
 */
const pipeEvents = (source, res) =>
  new Promise((resolve) => {
    let out = '';
    const parser = createParser({
      onEvent: (event) => {
        out +=
          event.data === '[DONE]'
            ? 'data: [DONE]\n\n'
            : `data: ${JSON.stringify(JSON.parse(event.data))}\n\n`;
      },
    });
    const decoder = new TextDecoder();
    source.on('data', (chunk) => {
      parser.feed(decoder.decode(chunk, { stream: true }));
      if (out !== '') {
        res.write(out);
        out = '';
      }
    });
    const done = () => {
      res.end(out);
      resolve();
    };
    source.on('end', done);
    source.on('error', done);
  });

const undiciAgent = new Agent({ connections: 1000, headersTimeout: 0, bodyTimeout: 0 });
const viaUndici = async (body, stream) => {
  const res = await undiciRequest.call(undiciAgent, {
    origin: upstream.origin,
    path: PATH,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  if (stream) return { status: res.statusCode, stream: res.body };
  return { status: res.statusCode, text: await res.body.text() };
};

/** The hop itself: the model renamed, the answer parsed and serialised again (or streamed on). */
const hop = async (parsed, call) => {
  const answer = await call(
    JSON.stringify({ ...parsed, model: `${parsed.model}-upstream` }),
    parsed.stream === true,
  );
  if (answer.stream) return { status: answer.status, stream: answer.stream };
  return { status: answer.status, body: JSON.stringify(JSON.parse(answer.text)) };
};
const contentType = (out) => (out.stream ? 'text/event-stream' : 'application/json');

const ready = () => console.log(JSON.stringify({ port, variant }));

if (variant === 'fastify-undici') {
  const { default: Fastify } = await import(require.resolve('fastify'));
  const app = Fastify({ logger: false, keepAliveTimeout: 60_000 });
  app.post(PATH, async (request, reply) => {
    const out = await hop(request.body, viaUndici);
    return reply
      .code(out.status)
      .header('content-type', contentType(out))
      .send(out.stream ?? out.body);
  });
  await app.listen({ port, host: '127.0.0.1' });
  ready();
} else if (variant === 'http-http' || variant === 'http-undici' || variant === 'http-undici-events') {
  const call = variant === 'http-http' ? viaNodeHttp : viaUndici;
  const server = http.createServer(async (req, res) => {
    try {
      const out = await hop(JSON.parse(await readAll(req)), call);
      if (out.stream) {
        res.writeHead(out.status, { 'content-type': contentType(out) });
        if (variant === 'http-undici-events') await pipeEvents(out.stream, res);
        else out.stream.pipe(res);
        return;
      }
      res.writeHead(out.status, {
        'content-type': contentType(out),
        'content-length': Buffer.byteLength(out.body),
      });
      res.end(out.body);
    } catch (error) {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`floor-hop: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
  server.keepAliveTimeout = 60_000;
  server.listen(port, '127.0.0.1', ready);
} else {
  throw new Error(`floor-hop: unknown --variant ${variant}`);
}
