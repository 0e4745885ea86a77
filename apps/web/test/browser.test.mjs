// End-to-end test of the production build in Debian's Chromium (headless, driven by playwright-core):
// a user names two classes, adds generated images, trains with the default policy (backbone frozen),
// and the test checks accuracy, the plan against core's, the frozen fingerprints, persistence, the
// bad-input messages, console errors and that no request leaves the local origin.
// Skips (exit 0, with a visible message) only when no Chromium is installed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeImportsOf } from '../scripts/check-browser-bundles.mjs';
import { serve } from '../scripts/serve.mjs';
import { hugePngHeader, PNG_SIGNATURE, patternImage } from './png.mjs';

const appDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const CHROMIUM =
  process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);
const SIZE = 96;
const PER_CLASS = 20;
const EPOCHS = 6;
const t0 = performance.now();
const log = (m) => console.log(`[web e2e ${((performance.now() - t0) / 1000).toFixed(1)}s] ${m}`);

if (!CHROMIUM) {
  console.log(
    'SKIPPED: @frostline/web browser test — no Chromium found (apt-get install chromium, or set CHROMIUM_PATH)',
  );
  process.exit(0);
}

/** The bundle check must catch a Node import (otherwise its "clean" verdict means nothing). */
async function checkTheChecker() {
  const fixture = path.join(await mkdtemp(path.join(tmpdir(), 'frostline-web-')), 'node-import-fixture.js');
  await writeFile(fixture, "export const f = () => import('node:fs/promises');\nimport 'path';\n");
  const found = (await nodeImportsOf(fixture)).map((f) => f.specifier).sort();
  assert.deepEqual(found, ['node:fs/promises', 'path']);
  log('bundle check detects node: and bare built-in imports');
}

/** core's plan for the same model and policy, computed in Node from the same static model files. */
async function corePlanFor(policyText, numClasses) {
  const tf = await import('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  const { loadBackbone, withHead } = await import('@frostline/vision');
  const { listParams } = await import('@frostline/tfjs');
  const { parsePolicy, planFreeze } = await import('@frostline/core');
  const dir = path.join(appDir, 'dist', 'models', 'mobilenet_v2');
  const json = JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8'));
  const w = await readFile(path.join(dir, 'weights.bin'));
  const artifacts = {
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
    weightData: w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength),
  };
  const backbone = await loadBackbone(artifacts, { inputSize: SIZE, featureLayer: 'flatten_1' });
  const headed = withHead(backbone, { numClasses });
  const plan = planFreeze(listParams(headed.model, { aliases: headed.aliases }), parsePolicy(policyText));
  headed.model.dispose();
  return plan.summary;
}

const files = (kind, from, n) =>
  Array.from({ length: n }, (_, i) => ({
    name: `${kind}-${from + i}.png`,
    mimeType: 'image/png',
    buffer: patternImage(kind, from + i),
  }));

async function statusText(page) {
  return (await page.getByTestId('status').textContent()) ?? '';
}

async function expectStatus(page, re, what) {
  await page
    .waitForFunction(
      (src) => new RegExp(src, 'i').test(document.querySelector('[data-testid=status]')?.textContent ?? ''),
      re.source,
      { timeout: 60_000 },
    )
    .catch(async () => assert.fail(`${what}: status was "${await statusText(page)}", expected ${re}`));
  log(`${what}: "${(await statusText(page)).slice(0, 140)}"`);
}

/** Click Train and wait until this run finished (the status line counts finished runs) or failed. */
async function trainAndWait(page) {
  const runs = Number((await page.getByTestId('status').getAttribute('data-runs')) ?? 0);
  await page.getByTestId('train').click();
  await page.waitForFunction(
    (n) => {
      const st = document.querySelector('[data-testid=status]');
      return Number(st?.dataset.runs ?? 0) > n || /failed|stopped/.test(st?.textContent ?? '');
    },
    runs,
    { timeout: 300_000 },
  );
  return statusText(page);
}

/** The trained model's TF.js files, a project exported and imported back, and a bad project file. */
async function downloadsAndProjectFile(page) {
  const got = [];
  const onDownload = (d) => got.push(d);
  page.on('download', onDownload);
  await page.locator('#dl-model').click();
  for (let i = 0; i < 50 && got.length < 2; i++) await page.waitForTimeout(100);
  page.off('download', onDownload);
  const byName = Object.fromEntries(
    await Promise.all(got.map(async (d) => [d.suggestedFilename(), await readFile(await d.path())])),
  );
  const json = JSON.parse(byName['frostline-model.json'].toString('utf8'));
  const bytes = json.weightsManifest[0].weights.reduce(
    (a, w) => a + 4 * w.shape.reduce((x, y) => x * y, 1),
    0,
  );
  assert.equal(
    byName['frostline-model.weights.bin'].byteLength,
    bytes,
    'model download: weights match the manifest',
  );
  log(
    `model download: ${Object.keys(byName).join(' + ')} (${(bytes / 1e6).toFixed(1)} MB of float32 weights)`,
  );

  const [exported] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('#project-export').click(),
  ]);
  const file = await exported.path();
  await page.locator('#project-import').setInputFiles({
    name: 'project.frostline.json',
    mimeType: 'application/json',
    buffer: await readFile(file),
  });
  // The import is a new project (a saved one is never overwritten) with the trained head restored.
  await expectStatus(page, /trained weights for circles, stripes restored/, 'project export → import');
  await page.waitForFunction(() => document.querySelectorAll('#project-list option').length === 2);
  assert.match(await page.getByTestId('class-count-1').textContent(), /^20 images/);
  await page
    .locator('#project-import')
    .setInputFiles({ name: 'notes.json', mimeType: 'application/json', buffer: Buffer.from('{"hello": 1}') });
  await expectStatus(page, /not a frostline studio project file/, 'bad project file');
}

async function badInputs(page) {
  await page.getByTestId('train').click();
  await expectStatus(page, /at least 2 classes/, 'no classes');
  await page.getByTestId('class-name-1').fill('circles');
  await page.getByTestId('class-name-1').press('Tab');
  await page.getByTestId('class-files-1').setInputFiles(files('circles', 0, 1));
  await expectStatus(page, /added 1 image/, 'first image');
  await page.getByTestId('train').click();
  await expectStatus(page, /at least 2 classes; this project has 1/, 'one class only');
  await page.getByTestId('class-name-2').fill('stripes');
  await page.getByTestId('class-name-2').press('Tab');
  await page.getByTestId('train').click();
  await expectStatus(page, /class "stripes" has no images/, 'empty class');
  const text = { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image at all') };
  await page.getByTestId('class-files-2').setInputFiles([text]);
  await expectStatus(page, /"notes\.txt" is not an image/, 'non-image file');
  // A real PNG cut off in its pixel data, and a PNG signature followed by garbage.
  const whole = patternImage('stripes', 99);
  const truncated = {
    name: 'truncated.png',
    mimeType: 'image/png',
    buffer: whole.subarray(0, Math.floor(whole.length / 2)),
  };
  await page.getByTestId('class-files-2').setInputFiles([truncated]);
  await expectStatus(page, /"truncated\.png" could not be decoded/, 'truncated image');
  const corrupt = {
    name: 'broken.png',
    mimeType: 'image/png',
    buffer: Buffer.concat([PNG_SIGNATURE, Buffer.alloc(300, 7)]),
  };
  await page.getByTestId('class-files-2').setInputFiles([corrupt]);
  await expectStatus(page, /"broken\.png" could not be decoded/, 'corrupt image');
  const huge = { name: 'huge.png', mimeType: 'image/png', buffer: hugePngHeader(20000, 20000) };
  await page.getByTestId('class-files-2').setInputFiles([huge]);
  await expectStatus(page, /"huge\.png" is 20000×20000 pixels, over the limit/, 'huge image');
  assert.match(await page.getByTestId('class-count-2').textContent(), /^0 images/);
  // A typo in the policy: core's error with its "did you mean", shown inline; the suggestion fixes it.
  const editor = page.getByTestId('policy-editor');
  const policy = await editor.inputValue();
  await editor.fill(policy.replace('unfreeze: head', 'unfreeze: haed'));
  await page.locator('#policy-errors .error').waitFor();
  const err = await page.locator('#policy-errors .error').textContent();
  assert.match(err, /NO_MATCH.*Did you mean `head`\?/s);
  log(`policy typo: "${err.slice(0, 120)}…"`);
  await page.getByRole('button', { name: 'Use “head”' }).click();
  assert.equal(await editor.inputValue(), policy);
  await page.locator('#policy-errors .ok').waitFor();
}

async function main() {
  await mkdir(path.join(appDir, 'test-results'), { recursive: true });
  await checkTheChecker();
  if (!existsSync(path.join(appDir, 'dist', 'index.html'))) {
    log('no production build yet: building');
    execFileSync('npm', ['run', 'build'], { cwd: appDir, stdio: 'inherit' });
  }
  const server = await serve(path.join(appDir, 'dist'));
  const origin = new URL(server.url).origin;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // A fake camera (Chromium's test pattern) and auto-accepted permission prompts, for the webcam.
    args: [
      '--headless=new',
      '--no-sandbox',
      '--enable-unsafe-swiftshader',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
    ],
  });
  const problems = [];
  const outside = [];
  try {
    const context = await browser.newContext({
      acceptDownloads: true,
      viewport: { width: 1200, height: 900 },
    });
    await context.route('**/*', (route) => {
      const u = route.request().url();
      if (u.startsWith(origin) || u.startsWith('blob:') || u.startsWith('data:')) return route.continue();
      outside.push(u);
      return route.abort();
    });
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
      if (/frostline studio: TF.js backend/.test(m.text())) log(m.text());
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => {
      if (r.url().startsWith(origin)) problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
    });

    await page.goto(`${server.url}?fresh&size=${SIZE}`);
    await expectStatus(page, /Model ready/, 'app loaded');
    const isolated = await page.evaluate(() => ({ coi: crossOriginIsolated, sab: typeof SharedArrayBuffer }));
    log(`cross-origin isolated: ${isolated.coi} (SharedArrayBuffer ${isolated.sab})`);
    await badInputs(page);

    await page.getByTestId('class-files-1').setInputFiles(files('circles', 1, PER_CLASS - 1));
    await expectStatus(
      page,
      new RegExp(`circles: added ${PER_CLASS - 1} images \\(${PER_CLASS} in all\\)`),
      'class 1 images',
    );
    await page.getByTestId('class-files-2').setInputFiles(files('stripes', 0, PER_CLASS));
    await expectStatus(page, new RegExp(`stripes: added ${PER_CLASS} images`), 'class 2 images');
    await page.locator('#set-epochs').fill(String(EPOCHS));
    await page.locator('#set-epochs').press('Tab');

    const table = page.getByTestId('plan-table');
    const shownTrainable = Number(await table.getAttribute('data-trainable'));
    const core = await corePlanFor(await page.getByTestId('policy-editor').inputValue(), 2);
    assert.equal(shownTrainable, core.trainableParams, 'plan table trainable count = core plan');
    assert.equal(Number(await table.getAttribute('data-total')), core.totalParams);
    log(
      `plan table: ${await table.locator('caption').textContent()} (core: ${core.trainableParams} trainable)`,
    );

    const tTrain = performance.now();
    await trainAndWait(page);
    const status = await statusText(page);
    log(`training: ${status} (${((performance.now() - tTrain) / 1000).toFixed(1)} s in the page)`);
    assert.match(status, /^Trained/);
    const backend = await page.getByTestId('backend').textContent();
    log(`BACKEND: ${backend}`);
    log(`activation cache: ${await page.getByTestId('cache').textContent()}`);
    assert.equal(await page.getByTestId('cache').getAttribute('data-status'), 'built');
    assert.equal(await page.getByTestId('cache').getAttribute('data-built'), String(2 * PER_CLASS));
    const acc = Number(await page.getByTestId('val-accuracy').getAttribute('data-value'));
    log(`held-out accuracy: ${await page.getByTestId('val-accuracy').textContent()}`);
    assert.ok(acc >= 0.8, `held-out accuracy ${acc} should be well above chance (0.5)`);
    const fp = page.getByTestId('fingerprints');
    log(`fingerprints: ${await fp.textContent()}`);
    assert.equal(await fp.getAttribute('data-ok'), 'true');
    assert.match(await fp.textContent(), /^verified unchanged: \d+ frozen tensors/);

    // A second run in the same page (features from the store): no tensor may be left behind.
    const tensorsAfter = async () => Number(await page.getByTestId('tensors').getAttribute('data-count'));
    const afterFirst = await tensorsAfter();
    await trainAndWait(page);
    assert.equal(await tensorsAfter(), afterFirst, 'tf.memory().numTensors stable across training runs');
    log(`second run in the same page: ${afterFirst} tensors in memory after each run`);
    await page
      .getByTestId('predict-files')
      .setInputFiles([...files('circles', 500, 1), ...files('stripes', 500, 1)]);
    await page.getByTestId('prediction').locator('.pred').nth(1).waitFor();
    const predicted = await page
      .getByTestId('prediction')
      .locator('.pred')
      .evaluateAll((els) => els.map((e) => e.dataset.class));
    assert.deepEqual(predicted, ['circles', 'stripes']);
    log(`predictions on new images: ${predicted.join(', ')}`);
    const [snippet] = await Promise.all([page.waitForEvent('download'), page.locator('#dl-pytorch').click()]);
    const py = await readFile(await snippet.path(), 'utf8');
    assert.match(py, /requires_grad/);

    // From the top, so the sticky status line sits in the header and covers nothing.
    await page.evaluate(() => window.scrollTo(0, 0));
    const shot = path.join(appDir, 'test-results', 'trained.png');
    await page.screenshot({ path: shot, fullPage: true });
    if (process.env.UPDATE_SCREENSHOT) {
      // The README's picture: the training and evaluation sections of the trained state.
      const top = (await page.locator('#train-section').boundingBox()).y - 8;
      const end = await page.locator('#eval-section').boundingBox();
      await page.screenshot({
        path: path.join(appDir, 'docs', 'screenshot.png'),
        fullPage: true,
        clip: { x: 0, y: top, width: 1200, height: end.y + end.height + 8 - top },
      });
    }
    log(`screenshot: ${path.relative(process.cwd(), shot)}`);
    await downloadsAndProjectFile(page);

    // Reopen: the project (classes, images, policy, trained head) comes back from IndexedDB.
    await page.goto(`${server.url}?size=${SIZE}`);
    await expectStatus(page, /trained weights for circles, stripes restored/, 'reopened project');
    assert.equal(await page.getByTestId('class-name-2').inputValue(), 'stripes');
    assert.match(await page.getByTestId('class-count-2').textContent(), new RegExp(`^${PER_CLASS} images`));
    await page.getByTestId('predict-files').setInputFiles(files('stripes', 600, 1));
    await page.getByTestId('prediction').locator('.pred[data-class="stripes"]').waitFor();
    // Retrain the reopened project: every feature comes from the project's store (none recomputed).
    await trainAndWait(page);
    assert.match(await statusText(page), /^Trained/);
    log(`retrained after reopening: ${await page.getByTestId('cache').textContent()}`);
    assert.equal(await page.getByTestId('cache').getAttribute('data-status'), 'hit');
    assert.equal(await page.getByTestId('cache').getAttribute('data-built'), '0');
    assert.ok(Number(await page.getByTestId('val-accuracy').getAttribute('data-value')) >= 0.8);
    assert.equal(await page.getByTestId('fingerprints').getAttribute('data-ok'), 'true');

    // Fine-tuning path: last stage + head (BatchNorm kept frozen) on the wasm backend, served from the
    // app: the full model trains with the trainer's in-run activation cache and frostline's wasm kernels.
    await page.locator('#set-backend').selectOption('wasm');
    await page.getByRole('button', { name: 'Last stage + head' }).click();
    await page.locator('#set-epochs').fill('2');
    await page.locator('#set-epochs').press('Tab');
    await page.locator('#policy-errors .ok').waitFor();
    const lastStage = await corePlanFor(await page.getByTestId('policy-editor').inputValue(), 2);
    assert.equal(Number(await table.getAttribute('data-trainable')), lastStage.trainableParams);
    // Stop right away: a clear message, nothing saved, and the next run starts normally.
    await page.getByTestId('train').click();
    await page.locator('#abort').click();
    await expectStatus(page, /^Training stopped/, 'stop button');
    await trainAndWait(page);
    log(`last stage + head: ${await statusText(page)}`);
    assert.match(await statusText(page), /^Trained 2 epochs on wasm/);
    log(`BACKEND (fine-tuning run): ${await page.getByTestId('backend').textContent()}`);
    log(`activation cache: ${await page.getByTestId('cache').textContent()}`);
    assert.equal(await page.getByTestId('cache').getAttribute('data-status'), 'hit');
    log(`fingerprints: ${await page.getByTestId('fingerprints').textContent()}`);
    assert.equal(await page.getByTestId('fingerprints').getAttribute('data-ok'), 'true');
    assert.ok(Number(await page.getByTestId('val-accuracy').getAttribute('data-value')) >= 0.8);

    // Webcam capture (optional in the app; files always work): one frame becomes one more image.
    await page.getByTestId('class-webcam-2').click();
    await page.getByTestId('webcam-capture').click();
    await expectStatus(
      page,
      new RegExp(`stripes: added 1 image \\(${PER_CLASS + 1} in all\\)`),
      'webcam capture',
    );

    assert.deepEqual(outside, [], 'no request leaves the local origin');
    assert.deepEqual(problems, [], 'no console errors');
    log(`PASS (${((performance.now() - t0) / 1000).toFixed(1)} s in all)`);
  } finally {
    await browser.close();
    await server.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
