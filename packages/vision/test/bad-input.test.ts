import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { treeHash } from '../../../test-support/tree-hash';
import { type ImageFolderOptions, imageFolder, VisionError, type VisionErrorCode } from '../src/index';
import { peerImports, resetPeerCache } from '../src/peers';
import { useBackend } from './helpers';

/**
 * The catalogue of bad inputs to imageFolder: each case asserts the exact code, that the message names
 * the input at fault, that nothing under the data folder changed, and that no tensor leaked.
 */
let root: string;
const png = (v: number) =>
  sharp({ create: { width: 6, height: 6, channels: 3, background: { r: v, g: v, b: v } } })
    .png()
    .toBuffer();

async function layout(dir: string, classes: Record<string, number>): Promise<void> {
  for (const [name, count] of Object.entries(classes)) {
    mkdirSync(path.join(root, dir, name), { recursive: true });
    for (let i = 0; i < count; i++) writeFileSync(path.join(root, dir, name, `${i}.png`), await png(i * 20));
  }
}

beforeAll(async () => {
  await useBackend('cpu');
  root = mkdtempSync(path.join(tmpdir(), 'frostline-bad-vision-'));
  await layout('good', { cat: 3, dog: 3 });
  await layout('single', { only: 2 });
  await layout('empty-class', { a: 2 });
  mkdirSync(path.join(root, 'empty-class', 'b'));
  await layout('broken', { a: 2, b: 1 });
  writeFileSync(path.join(root, 'broken', 'b', 'bad.png'), 'not a png');
  rmSync(path.join(root, 'broken', 'b', '0.png'));
  mkdirSync(path.join(root, 'no-classes'));
  writeFileSync(path.join(root, 'no-classes', 'x.png'), await png(1));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Case {
  name: string;
  code: VisionErrorCode;
  names: string | RegExp;
  folder?: string;
  opts?: ImageFolderOptions;
}

const option = (key: keyof ImageFolderOptions, value: unknown, names = key as string): Case => ({
  name: `${key} = ${Array.isArray(value) ? `[${value}]` : String(value)}`,
  code: 'INVALID_OPTION',
  names: new RegExp(`${names}.*${Array.isArray(value) ? '' : String(value).replace(/[.[\]]/g, '\\$&')}`),
  opts: { [key]: value } as ImageFolderOptions,
});

const cases: Case[] = [
  ...[0, Number.NaN, 2.5, -1, Number.POSITIVE_INFINITY, '224'].map((v) => option('size', v)),
  ...[[0, 10], [10], [10, 2.5], [10, 10, 3]].map((v) => option('size', v)),
  ...[0, -1, 1.5, Number.NaN].map((v) => option('maxPerClass', v)),
  ...[Number.NaN, 0, -2, 0.5].map((v) => option('concurrency', v)),
  ...[1, -0.1, Number.NaN].map((v) => option('valSplit', v)),
  option('seed', Number.NaN),
  option('extensions', []),
  option('extensions', ['png', '']),
  { name: 'root missing', code: 'NO_IMAGES', names: 'does-not-exist', folder: 'does-not-exist' },
  { name: 'no class folders', code: 'NO_IMAGES', names: 'no-classes', folder: 'no-classes' },
  { name: 'a single class', code: 'SINGLE_CLASS', names: '"only"', folder: 'single' },
  { name: 'an empty class folder', code: 'EMPTY_CLASS', names: '"b"', folder: 'empty-class' },
  { name: 'every image of a class unreadable', code: 'EMPTY_CLASS', names: '"b"', folder: 'broken' },
  {
    name: 'strict with an unreadable image',
    code: 'UNREADABLE_IMAGE',
    names: 'bad.png',
    folder: 'broken',
    opts: { strict: true },
  },
  {
    name: 'classNames that differ from the folders',
    code: 'CLASS_MISMATCH',
    names: 'missing: fox',
    opts: { classNames: ['cat', 'fox'] },
  },
  { name: 'channels = 2', code: 'CHANNEL_MISMATCH', names: 'channels', opts: { channels: 2 as 3 } },
];

describe('bad inputs to imageFolder', () => {
  it('covers the catalogue', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const folder = path.join(root, c.folder ?? 'good');
    const before = treeHash(root);
    const tensors = tf.memory().numTensors;
    const err = await imageFolder(folder, { onWarning: () => {}, ...c.opts }).then(
      (ds) => {
        ds.dispose();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(err, 'expected a typed error').toBeInstanceOf(VisionError);
    const e = err as VisionError;
    expect(e.code, e.message).toBe(c.code);
    if (typeof c.names === 'string') expect(e.message).toContain(c.names);
    else expect(e.message).toMatch(c.names);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(treeHash(root), 'nothing on disk changed').toBe(before);
  });

  it('without sharp: MISSING_PEER once, no per-file warnings (in memory and streaming)', async () => {
    const real = peerImports.sharp;
    peerImports.sharp = () =>
      Promise.reject(
        Object.assign(new Error("Cannot find package 'sharp'"), { code: 'ERR_MODULE_NOT_FOUND' }),
      );
    resetPeerCache();
    const warnings: string[] = [];
    try {
      for (const stream of [false, true]) {
        const err = await imageFolder(path.join(root, 'good'), {
          onWarning: (m) => warnings.push(m),
          ...(stream ? { stream: true as const } : {}),
        }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(VisionError);
        expect((err as VisionError).code).toBe('MISSING_PEER');
        expect((err as Error).message).toContain('"sharp"');
      }
      expect(warnings).toEqual([]);
    } finally {
      peerImports.sharp = real;
      resetPeerCache();
    }
  });
});
