/**
 * One error family across copies of core: the CJS and the ESM builds are two separate module
 * instances (two `PolicyError` classes), as are two installs of the package. `isFrostlineError` and
 * `isPolicyError` must recognise an error thrown by either copy; `instanceof` cannot.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as src from '../src/index';

type Core = typeof src;

const distDir = fileURLToPath(new URL('../dist/', import.meta.url));

async function loadBuilds(): Promise<{ cjs: Core; esm: Core }> {
  const cjsPath = `${distDir}index.cjs`;
  const esmPath = `${distDir}index.js`;
  if (!existsSync(cjsPath) || !existsSync(esmPath)) {
    throw new Error('dist/ is missing: build @frostline/core first (pnpm --filter @frostline/core build)');
  }
  const cjs = createRequire(import.meta.url)(cjsPath) as Core;
  const esm = (await import(pathToFileURL(esmPath).href)) as Core;
  return { cjs, esm };
}

function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

type ErrorClass = abstract new (...args: never[]) => Error;

/** Every exported class of a copy of core whose instances are errors. */
function errorClasses(mod: Core): Array<[string, ErrorClass]> {
  const out: Array<[string, ErrorClass]> = [];
  for (const [name, value] of Object.entries(mod) as Array<[string, unknown]>) {
    if (typeof value === 'function' && value.prototype instanceof Error)
      out.push([name, value as ErrorClass]);
  }
  return out;
}

describe('error family across copies of core', () => {
  it('an error from the CJS build is recognised by the ESM build, and the other way round', async () => {
    const { cjs, esm } = await loadBuilds();
    expect(cjs.PolicyError).not.toBe(esm.PolicyError);
    const pairs: Array<[Core, Core]> = [
      [cjs, esm],
      [esm, cjs],
      [src, cjs],
      [cjs, src],
    ];
    for (const [from, to] of pairs) {
      const e = caught(() => from.definePolicy({ rules: [{ freeze: '' }] }));
      expect(e).toBeInstanceOf(from.PolicyError);
      expect(to.isFrostlineError(e)).toBe(true);
      expect(to.isPolicyError(e)).toBe(true);
      expect(e).toMatchObject({ code: 'INVALID_SELECTOR', path: 'rules[0].freeze', userFault: true });
      const root = new from.FrostlineError('SOME_CODE', 'from another copy', { userFault: false });
      expect(to.isFrostlineError(root)).toBe(true);
      expect(to.isPolicyError(root)).toBe(false);
    }
  });
  it('look-alikes are not frostline errors', async () => {
    const { cjs, esm } = await loadBuilds();
    const lookAlike = Object.assign(new Error('x'), { code: 'NO_MATCH', name: 'PolicyError' });
    for (const mod of [src, cjs, esm]) {
      expect(mod.isFrostlineError(lookAlike)).toBe(false);
      expect(mod.isPolicyError(lookAlike)).toBe(false);
      expect(mod.isFrostlineError(null)).toBe(false);
      expect(mod.isFrostlineError({ code: 'X' })).toBe(false);
    }
  });
  it('every error class core exports extends FrostlineError, in the sources and in both builds', async () => {
    const { cjs, esm } = await loadBuilds();
    for (const mod of [src, cjs, esm]) {
      const classes = errorClasses(mod);
      expect(classes.map(([name]) => name).sort()).toEqual(['FrostlineError', 'PolicyError']);
      for (const [name, cls] of classes) {
        expect(cls === mod.FrostlineError || cls.prototype instanceof mod.FrostlineError, name).toBe(true);
      }
      expect(new mod.PolicyError('NO_MATCH', 'x')).toBeInstanceOf(mod.FrostlineError);
    }
  });
});
