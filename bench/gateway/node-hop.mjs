#!/usr/bin/env node
// Target (e) of bench/gateway/run.mjs: the cheapest proxy Node can be. node:http in, node:http out
// over a keep-alive agent; the request and the reply pass through untouched, so there is no JSON
// parsing, routing, guardrail, telemetry, Fastify or undici. Issue #5 quotes "a bare Node proxy
// hop with no features ≈ 13,800 req/s at ≈ 51 µs" on the machine its goals were set on; measured
// in the same run as Ballast, it shows what this machine charges any Node process for the hop,
// and so how much of Ballast's CPU and latency is Ballast's own.
//
// Usage: node node-hop.mjs --port N --upstream http://127.0.0.1:P

import http from 'node:http';

const args = process.argv.slice(2);
const arg = (name) => {
  const i = args.indexOf(name);
  if (i < 0 || i + 1 >= args.length) throw new Error(`node-hop: ${name} is required`);
  return args[i + 1];
};
const port = Number(arg('--port'));
const upstream = new URL(arg('--upstream'));
const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });

const server = http.createServer((req, res) => {
  const out = http.request(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: req.headers,
      agent,
    },
    (reply) => {
      res.writeHead(reply.statusCode ?? 502, reply.headers);
      reply.pipe(res);
    },
  );
  out.on('error', (error) => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`node-hop: ${error.message}`);
  });
  req.pipe(out);
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => console.log(JSON.stringify({ port })));
