#!/usr/bin/env node
// A local OpenAI-compatible chat-completions server for the eval bench.
//
// POST /v1/chat/completions answers after a fixed delay (default 20 ms) with a small answer that
// is a pure function of (model, last user message), plus `usage`. Non-streaming only: both tools
// under test call it the same way. Keep-alive is on and never closes a socket on its own while the
// bench runs.
//
//   GET  /stats   calls so far, per model, the most calls in flight at once, sockets opened,
//                 the server's own CPU time
//   POST /reset   zero the counters (the runner does this before every measured run)
//
// Usage: node server.mjs [--port 0] [--delay-ms 20]. Prints one JSON line {"port": N} when ready.

import { createServer } from 'node:http';
import { answerFor } from './model.mjs';

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const port = Number(arg('--port', '0'));
const delayMs = Number(arg('--delay-ms', '20'));

let stats;
const reset = () => {
  stats = {
    calls: 0,
    byModel: {},
    inFlight: 0,
    maxInFlight: 0,
    connections: 0,
    badRequests: 0,
    // Epoch ms of the first request and of the last answer sent: the bench splits a run's wall
    // time into start-up (until the first call), the calls, and the end (after the last answer).
    firstCallAt: null,
    lastAnswerAt: null,
    cpu0: process.cpuUsage(),
  };
};
reset();

const tokens = (s) => Math.max(1, Math.ceil(s.length / 4));

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
  const messages = Array.isArray(parsed.messages) ? parsed.messages : [];
  const lastUser = [...messages].reverse().find((m) => m && m.role === 'user');
  const text =
    typeof lastUser?.content === 'string' ? lastUser.content : JSON.stringify(lastUser?.content ?? '');
  const model = String(parsed.model ?? 'unknown');
  stats.calls++;
  stats.firstCallAt ??= Date.now();
  stats.byModel[model] = (stats.byModel[model] ?? 0) + 1;
  stats.inFlight++;
  if (stats.inFlight > stats.maxInFlight) stats.maxInFlight = stats.inFlight;
  const content = answerFor(model, text);
  const promptTokens = messages.reduce(
    (a, m) => a + tokens(typeof m?.content === 'string' ? m.content : '') + 3,
    3,
  );
  const completionTokens = tokens(content);
  const payload = JSON.stringify({
    id: `chatcmpl-bench-${stats.calls}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
  });
  setTimeout(() => {
    stats.inFlight--;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
    res.end(payload);
    stats.lastAnswerAt = Date.now();
  }, delayMs);
}

const server = createServer({ keepAlive: true }, (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const url = req.url ?? '/';
    if (req.method === 'POST' && url.split('?')[0].endsWith('/chat/completions')) {
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
