#!/usr/bin/env node
// A TCP proxy on loopback that holds every chunk from the client for DELAY_MS before passing it on: each request
// reaches the server DELAY_MS later, as over a link with that much latency. Responses pass straight through.
// Usage: node delay-proxy.js LISTEN_PORT TARGET_PORT DELAY_MS [MAX_SECONDS]   (exits by itself after MAX_SECONDS, default 3600)
'use strict';
const net = require('net');

const [listenPort, targetPort, delayMs, maxSeconds = '3600'] = process.argv.slice(2).map(Number);
if (!(listenPort >= 0 && targetPort > 0 && delayMs >= 0)) {
  console.error('usage: node delay-proxy.js LISTEN_PORT TARGET_PORT DELAY_MS [MAX_SECONDS]');
  process.exit(2);
}

const server = net.createServer((client) => {
  const upstream = net.connect(targetPort, '127.0.0.1');
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    client.destroy();
    upstream.destroy();
  };
  // Timers of equal delay fire in order, so the byte stream keeps its order.
  client.on('data', (chunk) => setTimeout(() => { if (!closed) upstream.write(chunk); }, delayMs));
  client.on('end', () => setTimeout(() => upstream.end(), delayMs));
  upstream.pipe(client);
  client.on('error', close);
  upstream.on('error', close);
  client.on('close', () => setTimeout(close, delayMs + 1));
  upstream.on('close', close);
});

server.listen(listenPort, '127.0.0.1', () => {
  console.log(`delay-proxy listening on 127.0.0.1:${server.address().port} -> 127.0.0.1:${targetPort}, +${delayMs} ms per request chunk`);
});
setTimeout(() => process.exit(0), maxSeconds * 1000).unref();
