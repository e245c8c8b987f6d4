#!/usr/bin/env node
// Uploads every file below DIR to the test server as http://127.0.0.1:PORT/BUCKET/PREFIX/<relative path> (s3rver takes
// unsigned PUTs), creating the bucket first. For benchmarks; the tests upload through the C# client.
// Usage: node upload.js PORT BUCKET PREFIX DIR
'use strict';
const fs = require('fs');
const http = require('http');
const path = require('path');

const [port, bucket, prefix, dir] = process.argv.slice(2);
if (!port || !bucket || prefix === undefined || !dir) {
  console.error('usage: node upload.js PORT BUCKET PREFIX DIR');
  process.exit(2);
}
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

function put(urlPath, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method: 'PUT', agent,
      headers: { 'Content-Length': body.length }, timeout: 60000 }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode < 300 || (body.length === 0 && res.statusCode === 409)
        ? resolve() : reject(new Error(`PUT ${urlPath}: HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error(`PUT ${urlPath}: timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

function walk(d) {
  return fs.readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(d, e.name)) : e.isFile() ? [path.join(d, e.name)] : []);
}

(async () => {
  await put(`/${bucket}`, Buffer.alloc(0));
  const files = walk(dir);
  let next = 0;
  const key = (f) => [prefix.replace(/\/+$/, ''), path.relative(dir, f).split(path.sep).join('/')].filter(Boolean).join('/');
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < files.length) {
      const f = files[next++];
      await put(`/${bucket}/${key(f).split('/').map(encodeURIComponent).join('/')}`, fs.readFileSync(f));
    }
  }));
  console.log(`uploaded ${files.length} files to s3://${bucket}/${prefix}`);
  agent.destroy();
})().catch((e) => { console.error(e.message); process.exit(1); });
