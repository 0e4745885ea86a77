// Serves the production build (dist/) on the loopback interface only, with the cross-origin isolation
// headers the wasm backend needs for threads (COOP + COEP). `node scripts/serve.mjs [port]`.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.bin': 'application/octet-stream',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

const HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
};

/** Start a static server for `root` on 127.0.0.1; resolves to { url, close }. Port 0 picks a free one. */
export function serve(root, port = 0) {
  const base = path.resolve(root);
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      let file = path.join(base, decodeURIComponent(url.pathname));
      if (!file.startsWith(base)) throw Object.assign(new Error('outside root'), { status: 403 });
      if ((await stat(file).catch(() => null))?.isDirectory()) file = path.join(file, 'index.html');
      const info = await stat(file);
      res.writeHead(200, {
        ...HEADERS,
        'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'Content-Length': info.size,
      });
      createReadStream(file).pipe(res);
    } catch (e) {
      res.writeHead(e.status ?? 404, { ...HEADERS, 'Content-Type': 'text/plain' });
      res.end(e.status === 403 ? 'forbidden' : 'not found');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: p } = server.address();
      resolve({ url: `http://127.0.0.1:${p}/`, close: () => new Promise((r) => server.close(r)) });
    });
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const appDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
  const { url } = await serve(path.join(appDir, 'dist'), Number(process.argv[2] ?? 4173));
  console.log(`frostline studio (production build) at ${url}`);
}
