#!/usr/bin/env node
// A fast OpenAI-compatible upstream for the gateway bench (bench/gateway/run.mjs).
//
// POST /v1/chat/completions answers at once (or after --delay-ms) with a small chat.completion.
// With "stream": true it sends 10 SSE events: a chunk with the role, 8 content deltas, a finish
// chunk with usage, then `data: [DONE]` (so 11 `data:` lines in all). Keep-alive is on and the
// server never closes an idle socket on its own while the bench runs.
//
//   GET  /stats   requests answered (streamed and not, per model), sockets opened, the server's
//                 CPU time (the per-model counts show the share a rollout sent to the candidate)
//   POST /reset   zero the counters
//
// Usage: node upstream.mjs [--port 0] [--delay-ms 0]. Prints one JSON line {"port": N} when ready.

import { createServer } from 'node:http';

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const port = Number(arg('--port', '0'));
const delayMs = Number(arg('--delay-ms', '0'));

let stats;
const reset = () => {
  stats = { requests: 0, streamed: 0, byModel: {}, badRequests: 0, connections: 0, cpu0: process.cpuUsage() };
};
reset();

const CONTENT = ['The ', 'answer ', 'is ', 'forty', '-two', ', as ', 'always', '.'];
const TEXT = CONTENT.join('');
const USAGE = { prompt_tokens: 12, completion_tokens: CONTENT.length, total_tokens: 12 + CONTENT.length };

function answer(res, parsed) {
  const model = typeof parsed.model === 'string' ? parsed.model : 'unknown';
  stats.byModel[model] = (stats.byModel[model] ?? 0) + 1;
  const id = `chatcmpl-bench-${stats.requests}`;
  const created = Math.floor(Date.now() / 1000);
  if (parsed.stream === true) {
    stats.streamed++;
    const chunk = (delta, finish, usage) =>
      `data: ${JSON.stringify({
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        choices: [{ index: 0, delta, finish_reason: finish }],
        ...(usage ? { usage } : {}),
      })}\n\n`;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
    });
    // Each event is its own write (its own chunk on the wire), as a real model's stream would be,
    // but without waiting between them: the bench measures the gateway, not the model.
    res.write(chunk({ role: 'assistant', content: '' }, null));
    for (const c of CONTENT) res.write(chunk({ content: c }, null));
    res.write(chunk({}, 'stop', USAGE));
    res.end('data: [DONE]\n\n');
    return;
  }
  const payload = JSON.stringify({
    id,
    object: 'chat.completion',
    created,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: TEXT }, finish_reason: 'stop' }],
    usage: USAGE,
  });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

function complete(res, body) {
  let parsed;
  try {
    parsed = JSON.parse(body);
  } catch {
    stats.badRequests++;
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end('{"error":{"message":"invalid JSON","type":"invalid_request_error"}}');
    return;
  }
  stats.requests++;
  if (delayMs > 0) setTimeout(() => answer(res, parsed), delayMs);
  else answer(res, parsed);
}

const server = createServer({ keepAlive: true }, (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method === 'POST' && url.endsWith('/chat/completions')) {
      complete(res, Buffer.concat(chunks).toString('utf8'));
    } else if (url === '/stats') {
      const cpu = process.cpuUsage(stats.cpu0);
      const { cpu0: _cpu0, ...rest } = stats;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ...rest, delayMs, cpuSeconds: (cpu.user + cpu.system) / 1e6 }));
    } else if (req.method === 'POST' && url === '/reset') {
      reset();
      res.writeHead(204);
      res.end();
    } else if (url === '/healthz' || url === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"object":"list","data":[{"id":"bench-model","object":"model"}]}');
    } else {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"not found"}}');
    }
  });
});
server.on('connection', () => stats.connections++);
server.keepAliveTimeout = 120_000;
server.headersTimeout = 121_000;
server.requestTimeout = 0;
server.maxRequestsPerSocket = 0;
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port, delayMs })}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
