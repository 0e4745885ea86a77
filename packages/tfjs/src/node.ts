import { FrostlineTfjsError } from './errors';

type NodeFs = typeof import('node:fs');
type NodePath = typeof import('node:path');

// A variable specifier with bundler-ignore hints: browser bundles never try to resolve Node built-ins,
// and the modules load only when a disk feature is actually used.
const load = (specifier: string): Promise<unknown> =>
  import(
    /* @vite-ignore */
    /* webpackIgnore: true */
    specifier
  );

async function builtin<T>(name: string): Promise<T> {
  try {
    return (await load(name)) as T;
  } catch (e) {
    throw new FrostlineTfjsError(
      'IO_UNAVAILABLE',
      'File-system features (file:// save/load, checkpoints, cache: { dir }) need Node.js. In a browser use IndexedDB/http IO, toArtifacts/loadModel(artifacts) and the in-memory cache.',
      { cause: e },
    );
  }
}

export const nodeFs = (): Promise<NodeFs> => builtin<NodeFs>('node:fs');
export const nodePath = (): Promise<NodePath> => builtin<NodePath>('node:path');
export const nodeZlib = (): Promise<typeof import('node:zlib')> =>
  builtin<typeof import('node:zlib')>('node:zlib');
