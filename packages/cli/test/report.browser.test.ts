import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReport } from '../src/report';
import { fakeRun } from './helpers/fake-run';

/**
 * report.html in a real headless Chromium (Debian's `chromium`, driven by playwright-core), offline:
 * no console errors, no network requests, the charts have one point per epoch. Without chromium the
 * test is skipped with a visible reason, except under CI=true where it must run.
 */
const CHROMIUM = process.env.FROSTLINE_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const mustRun = process.env.CI === 'true';
if (!haveChromium && !mustRun) {
  console.warn(
    `[report.browser.test] SKIPPED: ${CHROMIUM} not found (apt-get install chromium); CI=true makes this test mandatory`,
  );
}

describe.skipIf(!haveChromium && !mustRun)('report.html in headless Chromium', () => {
  // biome-ignore lint/suspicious/noExplicitAny: playwright-core types are loaded dynamically
  let context: any;
  let dir: string;

  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    dir = mkdtempSync(join(tmpdir(), 'frostline-report-'));
    // A fresh profile per run: playwright wants it as launchPersistentContext's userDataDir.
    context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      viewport: { width: 1200, height: 900 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await context?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('renders offline without console errors; charts have one point per epoch', async () => {
    const file = join(dir, 'report.html');
    writeFileSync(file, renderReport(fakeRun(4)));
    const page = await context.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m: { type(): string; text(): string }) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e: Error) => errors.push(`pageerror: ${e.message}`));
    page.on('request', (r: { url(): string }) => {
      if (!r.url().startsWith('file:')) requests.push(r.url());
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });

    const counts = await page.evaluate(() => {
      const series: Record<string, { circles: number; declared: number; vertices: number }> = {};
      for (const g of Array.from(document.querySelectorAll('g.series'))) {
        const d = g.querySelector('path')?.getAttribute('d') ?? '';
        series[g.getAttribute('data-series') ?? ''] = {
          circles: g.querySelectorAll('circle').length,
          declared: Number(g.getAttribute('data-points')),
          vertices: (d.match(/[ML]/g) ?? []).length,
        };
      }
      return {
        series,
        frostRows: document.querySelectorAll('svg.frostmap g.frost-row').length,
        timeBars: document.querySelectorAll('svg.timebars g.tbar').length,
        planRows: document.querySelectorAll('.plan-table tbody:not([hidden]) tr').length,
        title: document.title,
      };
    });
    for (const id of ['loss-train', 'loss-val', 'acc-train', 'acc-val']) {
      expect(counts.series[id]).toEqual({ circles: 4, declared: 4, vertices: 4 });
    }
    expect(counts.frostRows).toBe(4);
    expect(counts.timeBars).toBe(4);
    expect(counts.planRows).toBe(10); // layers with parameters
    expect(counts.title).toContain('frostline report');

    // The inline script works: filtering the plan table and switching epochs.
    await page.fill('.plan-filter', 'block3');
    expect(await page.locator('.plan-table tbody:not([hidden]) tr:visible').count()).toBe(2);
    await page.selectOption('.plan-epoch', '0');
    expect(await page.locator('.plan-table tbody:not([hidden]) tr:visible').count()).toBe(2);
    expect(await page.locator('.plan-table tbody[data-plan="0"] .state-frozen').count()).toBeGreaterThan(0);

    // Several runs and free sections in one page (what the demo writes).
    const multi = join(dir, 'multi.html');
    writeFileSync(
      multi,
      renderReport({
        title: 'frostline demo',
        sections: [
          { title: 'MNIST regimes', table: { columns: ['regime', 'accuracy'], rows: [['frozen', 0.97]] } },
        ],
        runs: [
          { ...fakeRun(2), name: 'first' },
          { ...fakeRun(3), name: 'second' },
        ],
      }),
    );
    await page.goto(pathToFileURL(multi).href, { waitUntil: 'load' });
    const multiCounts = await page.evaluate(() =>
      Array.from(document.querySelectorAll('.run')).map(
        (r) => r.querySelectorAll('g.series[data-series="loss-train"] circle').length,
      ),
    );
    expect(multiCounts).toEqual([2, 3]);
    await page.locator('.run[data-run="1"] .plan-filter').fill('fc');
    expect(await page.locator('.run[data-run="1"] .plan-table tbody:not([hidden]) tr:visible').count()).toBe(
      1,
    );
    expect(await page.locator('.run[data-run="0"] .plan-table tbody:not([hidden]) tr:visible').count()).toBe(
      10,
    );
    if (process.env.FROSTLINE_SCREENSHOT)
      await page.screenshot({ path: `${process.env.FROSTLINE_SCREENSHOT}.multi.png`, fullPage: true });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });

    if (process.env.FROSTLINE_SCREENSHOT) {
      await page.fill('.plan-filter', '');
      await page.selectOption('.plan-epoch', '3');
      await page.screenshot({ path: process.env.FROSTLINE_SCREENSHOT, fullPage: true });
    }
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });
});
