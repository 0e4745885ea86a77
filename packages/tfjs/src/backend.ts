import * as tf from '@tensorflow/tfjs';
import { type ChosenBy, setBackendAs, userChoseBackend } from './backend-choice';
import { FrostlineTfjsError } from './errors';
import { registerWasmGradKernels } from './kernels/register';

/** The runtimes selectBackend knows. */
export type BackendCandidate = 'tfjs-node-gpu' | 'tfjs-node' | 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** Node.js runtimes, fastest first. */
export const BACKEND_ORDER: readonly BackendCandidate[] = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'];
/** Browser runtimes, fastest first. */
export const BROWSER_BACKEND_ORDER: readonly BackendCandidate[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

export interface SelectBackendOptions {
  /** Force one runtime; throws FrostlineTfjsError('BACKEND_UNAVAILABLE') if it cannot be used. */
  prefer?: BackendCandidate;
  /** Do not log the choice. */
  quiet?: boolean;
  /** Where the one line about the choice goes (default: console.info). */
  logger?: (message: string) => void;
  /** wasm only: folder or URL prefix holding the tfjs-backend-wasm*.wasm files (default: resolved in Node, the CDN default in browsers). */
  wasmPaths?: string;
  /**
   * How optional packages are loaded (default: dynamic `import()`). Injectable so tests and
   * bundler users can decide what "installed" means.
   */
  importer?: (specifier: string) => Promise<unknown>;
  /** Which list to pick from (default: the one of the environment this runs in). Mainly for tests. */
  runtime?: 'node' | 'browser';
}

export interface BackendChoice {
  /** The runtime chosen (one of BACKEND_ORDER). */
  name: BackendCandidate;
  /** The TF.js backend now active: 'tensorflow' for tfjs-node(-gpu), 'wasm' or 'cpu'. */
  tfBackend: string;
  /** Why this one: what was tried before it and why it was skipped. */
  reason: string;
  /** Every candidate tried, in order, with the reason it was skipped (absent for the chosen one). */
  tried: Array<{ name: BackendCandidate; ok: boolean; reason?: string }>;
  /** Gradient kernels frostline registered for this backend (wasm only). */
  kernelsRegistered: string[];
}

const PACKAGES: Record<Exclude<BackendCandidate, 'cpu'>, string> = {
  'tfjs-node-gpu': '@tensorflow/tfjs-node-gpu',
  'tfjs-node': '@tensorflow/tfjs-node',
  webgpu: '@tensorflow/tfjs-backend-webgpu',
  webgl: '@tensorflow/tfjs-backend-webgl',
  wasm: '@tensorflow/tfjs-backend-wasm',
};

const isNode = typeof process !== 'undefined' && process.versions?.node != null;

// A variable specifier keeps bundlers from trying to resolve optional peers at build time.
const defaultImporter = (specifier: string): Promise<unknown> => import(/* @vite-ignore */ specifier);

let lastLogged: string | undefined;

/** One short line for the log; "not installed" only when the package itself is missing. */
export function describeImportError(err: unknown, specifier: string | undefined): string {
  const msg = err instanceof Error ? err.message : String(err);
  const first = msg.split('\n')[0] ?? msg;
  // Node says "Cannot find package/module '<spec>'", Vite/vitest "Could not resolve "<spec>"", browsers
  // "Failed to resolve module specifier". A missing dependency OF the package is a broken install instead.
  const missing =
    /Cannot find (package|module)|Could not resolve|Failed to (resolve|load)|ERR_MODULE_NOT_FOUND/i.test(msg);
  if (
    missing &&
    specifier != null &&
    new RegExp(`['"\\s]${specifier.replace(/[/.]/g, '\\$&')}['"\\s/]`).test(`${msg} `)
  ) {
    return 'not installed';
  }
  return first.length > 200 ? `${first.slice(0, 200)}…` : first;
}

// Node built-ins through a variable specifier, so browser bundlers do not try to resolve them
// (they are only reached in Node).
const nodeBuiltin = (specifier: string): Promise<unknown> =>
  import(/* @vite-ignore */ /* webpackIgnore: true */ specifier);

export async function nodeRequireResolve(specifier: string): Promise<string> {
  const { createRequire } = (await nodeBuiltin('node:module')) as typeof import('node:module');
  // Resolve relative to this module (i.e. from the node_modules holding @frostline/tfjs), not from
  // process.cwd(). ESM build: import.meta.url. CJS build: import.meta is empty there and the
  // module's own `require` is used. (Test import.meta first: bundlers give ESM output a throwing
  // `require` shim.)
  const url = (import.meta as { url?: string }).url;
  const req = url ? createRequire(url) : typeof require === 'function' ? require : undefined;
  if (req === undefined) throw new Error(`cannot resolve ${specifier} here; pass wasmPaths`);
  return req.resolve(specifier);
}

/** Absolute folder (with trailing separator) holding tfjs-backend-wasm's .wasm binaries, in Node. */
export async function wasmBinaryDir(): Promise<string> {
  const pkgJson = await nodeRequireResolve('@tensorflow/tfjs-backend-wasm/package.json');
  const path = (await nodeBuiltin('node:path')) as typeof import('node:path');
  return path.join(path.dirname(pkgJson), 'dist') + path.sep;
}

type WasmModule = { setWasmPaths(prefix: string): void };

async function activate(
  name: BackendCandidate,
  importer: (s: string) => Promise<unknown>,
  wasmPaths: string | undefined,
  by: ChosenBy,
): Promise<{ tfBackend: string; kernels: string[] }> {
  if (name === 'cpu') {
    if (!(await setBackendAs(by, 'cpu'))) throw new Error("tf.setBackend('cpu') failed");
    return { tfBackend: 'cpu', kernels: [] };
  }
  if ((name === 'tfjs-node' || name === 'tfjs-node-gpu') && !isNode)
    throw new Error('only available in Node.js');
  if (name === 'webgpu' || name === 'webgl') return activateGpu(name, importer, by);
  type Mod = Record<string, unknown> & { default?: Record<string, unknown> };
  if (name === 'wasm') {
    const initialised = tf.findBackend('wasm') != null;
    const prefix = initialised ? undefined : (wasmPaths ?? (isNode ? await wasmBinaryDir() : undefined));
    // A bundled app may have imported the package itself (a bare dynamic import() does not resolve in
    // browsers); then only setWasmPaths needs the module.
    if (!tf.engine().registryFactory.wasm || prefix != null) {
      const mod = (await importer(PACKAGES.wasm)) as Mod;
      // The binaries must be located before the backend initialises; afterwards the paths are fixed.
      if (prefix != null) {
        const setWasmPaths = (mod.setWasmPaths ?? mod.default?.setWasmPaths) as
          | WasmModule['setWasmPaths']
          | undefined;
        if (typeof setWasmPaths !== 'function') throw new Error('the package does not export setWasmPaths');
        setWasmPaths(prefix);
      }
    }
    if (!tf.engine().registryFactory.wasm) {
      throw new Error(
        'it registered no "wasm" backend with this copy of @tensorflow/tfjs (two tfjs-core versions installed?)',
      );
    }
    const kernels = registerWasmGradKernels();
    if (!(await setBackendAs(by, 'wasm')))
      throw new Error('the wasm backend failed to initialise (see the warning above)');
    return { tfBackend: 'wasm', kernels };
  }
  await importer(PACKAGES[name]);
  // tfjs-node and tfjs-node-gpu both register the native backend as 'tensorflow'.
  if (!tf.engine().registryFactory.tensorflow) {
    throw new Error(
      'it registered no "tensorflow" backend with this copy of @tensorflow/tfjs (version mismatch?)',
    );
  }
  if (!(await setBackendAs(by, 'tensorflow'))) throw new Error('the native backend failed to initialise');
  return { tfBackend: 'tensorflow', kernels: [] };
}

/** webgpu / webgl: registered by their package (webgl ships inside @tensorflow/tfjs), then initialised. */
async function activateGpu(
  name: 'webgpu' | 'webgl',
  importer: (s: string) => Promise<unknown>,
  by: ChosenBy,
): Promise<{ tfBackend: string; kernels: string[] }> {
  if (!tf.engine().registryFactory[name]) await importer(PACKAGES[name]);
  if (!tf.engine().registryFactory[name])
    throw new Error(`it registered no "${name}" backend with this copy of @tensorflow/tfjs`);
  if (!(await setBackendAs(by, name))) throw new Error(`the ${name} backend failed to initialise`);
  return { tfBackend: name, kernels: [] };
}

/**
 * Picks the fastest TF.js runtime that is installed and works: in Node tfjs-node-gpu, tfjs-node, wasm,
 * then cpu; in browsers webgpu, webgl, wasm, then cpu (optional peers, detected at run time), makes it
 * the active backend and logs the choice once. Calling it counts as the user's choice. On wasm it registers frostline's conv gradient kernels (registerWasmGradKernels),
 * without which no conv layer can be trained there.
 */
export async function selectBackend(opts: SelectBackendOptions = {}): Promise<BackendChoice> {
  return chooseBackend(opts, 'user');
}

/** selectBackend's work; `by` records whether the user asked for it or frostline picked on its own. */
async function chooseBackend(opts: SelectBackendOptions, by: ChosenBy): Promise<BackendChoice> {
  const importer = opts.importer ?? defaultImporter;
  const order =
    (opts.runtime ?? (isNode ? 'node' : 'browser')) === 'node' ? BACKEND_ORDER : BROWSER_BACKEND_ORDER;
  const candidates = opts.prefer ? [opts.prefer] : order;
  if (opts.prefer && !order.includes(opts.prefer)) {
    throw new FrostlineTfjsError(
      'BACKEND_UNAVAILABLE',
      `Unknown backend '${opts.prefer}'. Use one of: ${order.join(', ')}.`,
    );
  }
  const tried: BackendChoice['tried'] = [];
  for (const name of candidates) {
    try {
      const { tfBackend, kernels } = await activate(name, importer, opts.wasmPaths, by);
      tried.push({ name, ok: true });
      const skipped = tried.filter((t) => !t.ok).map((t) => `${t.name}: ${t.reason}`);
      const reason = opts.prefer
        ? `forced with prefer: '${name}'`
        : skipped.length
          ? `first available (${skipped.join('; ')})`
          : 'first available';
      const line = `frostline: using TF.js backend '${name}' — ${reason}${
        kernels.length ? `; registered wasm gradient kernels ${kernels.join(', ')}` : ''
      }${by === 'frostline' ? ' (choose another with tf.setBackend before training)' : ''}`;
      // Once per distinct choice: repeated calls (every train()) stay silent.
      const key = `${name}|${reason}`;
      if (!opts.quiet && key !== lastLogged) {
        lastLogged = key;
        (opts.logger ?? console.info)(line);
      }
      return { name, tfBackend, reason, tried, kernelsRegistered: kernels };
    } catch (err) {
      tried.push({
        name,
        ok: false,
        reason: describeImportError(err, name === 'cpu' ? '@tensorflow/tfjs' : PACKAGES[name]),
      });
    }
  }
  const last = tried[tried.length - 1];
  if (opts.prefer) {
    const hint =
      opts.prefer === 'cpu'
        ? 'Check that @tensorflow/tfjs is installed.'
        : `Install it (npm i ${PACKAGES[opts.prefer]}@^4.22.0, same version as @tensorflow/tfjs) or drop 'prefer' to fall back automatically.`;
    throw new FrostlineTfjsError(
      'BACKEND_UNAVAILABLE',
      `Backend '${opts.prefer}' is unavailable: ${last?.reason ?? 'unknown reason'}. ${hint}`,
      { details: { tried } },
    );
  }
  throw new FrostlineTfjsError(
    'BACKEND_UNAVAILABLE',
    `No TF.js backend could be activated (${tried.map((t) => `${t.name}: ${t.reason}`).join('; ')}). Is @tensorflow/tfjs installed?`,
    { details: { tried } },
  );
}

export interface EnsureFastBackendResult {
  /** The TF.js backend active now. */
  backend: string;
  /** 'user' when the user had chosen it (kept as is), 'frostline' when frostline picked it. */
  chosenBy: 'user' | 'frostline';
  /** frostline's pick, when it made one. */
  choice?: BackendChoice;
}

let autoChoice: Promise<BackendChoice> | undefined;

/**
 * Called by frostline the first time it trains or predicts: unless the user chose a backend
 * (`tf.setBackend`, or selectBackend), switch from TF.js' slow default (`cpu` in Node) to the fastest
 * available one (tfjs-node > wasm > cpu in Node; webgpu/webgl > wasm > cpu in browsers) and say which
 * in one log line. Later calls reuse that decision; a user's later `tf.setBackend` is respected.
 * Tensors created before the switch move to the new backend when next used.
 */
export async function ensureFastBackend(
  opts: Omit<SelectBackendOptions, 'prefer'> = {},
): Promise<EnsureFastBackendResult> {
  if (userChoseBackend()) return { backend: tf.getBackend(), chosenBy: 'user' };
  autoChoice ??= chooseBackend(opts, 'frostline').catch((e: unknown) => {
    autoChoice = undefined;
    throw e;
  });
  const choice = await autoChoice;
  // Something reset the backend since (e.g. tf.removeBackend): pick again.
  if (tf.getBackend() !== choice.tfBackend && !userChoseBackend()) {
    autoChoice = undefined;
    return ensureFastBackend(opts);
  }
  return { backend: tf.getBackend(), chosenBy: 'frostline', choice };
}
