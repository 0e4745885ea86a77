import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { decodeImageBlob, VisionError } from '../src/index';

// The browser decoding path itself runs in Chromium (apps/web's end-to-end test decodes, resizes and
// refuses corrupt and oversized images through it); here: what it does outside a browser.
describe('decodeImageBlob', () => {
  it('says it needs a browser when createImageBitmap is missing (Node)', async () => {
    const err = await decodeImageBlob(new Blob([new Uint8Array(8)])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VisionError);
    expect((err as VisionError).code).toBe('UNSUPPORTED_ENVIRONMENT');
    expect((err as VisionError).hint).toMatch(/decodeImage/);
  });

  it('source loads Node built-ins and sharp only through the variable-specifier helper', async () => {
    // A literal import('node:…') or import('sharp') would be resolved by browser bundlers (type-only
    // `typeof import('node:…')` and `: import('node:…').T` annotations are erased).
    for (const file of [
      'peers.ts',
      'pretrained.ts',
      'mnist.ts',
      'image-folder.ts',
      'image.ts',
      'browser-image.ts',
    ]) {
      const text = await readFile(new URL(`../src/${file}`, import.meta.url), 'utf8');
      expect(text, file).not.toMatch(/(?<!typeof |: )import\(\s*['"](node:|sharp['"])/);
    }
  });
});
