import { describe, expect, it } from 'vitest';
import { escapeHtml, formatDuration, frostRows, niceTicks, renderReport } from '../src/report';
import { fakeRun } from './helpers/fake-run';

describe('renderReport (string level)', () => {
  const html = renderReport(fakeRun());

  it('is one self-contained document', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/\bsrc=/i);
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/url\(/i);
    expect(html).toContain("default-src 'none'");
  });

  it('draws one point per epoch in each curve', () => {
    for (const id of ['loss-train', 'loss-val', 'acc-train', 'acc-val']) {
      expect(html).toContain(`data-series="${id}" data-points="4"`);
    }
  });

  it('has one frost-map row per epoch when a schedule changes the plan', () => {
    expect(html).toContain('data-rows="4"');
    expect(frostRows(fakeRun().plans, 4).map((r) => r.label)).toEqual([
      'epoch 1',
      'epoch 2',
      'epoch 3',
      'epoch 4',
    ]);
    expect(html).toMatch(/data-layer="block3_conv" data-state="trainable" data-changed="1"/);
  });

  it('collapses to one row when the plan never changes', () => {
    const run = fakeRun(3);
    run.plans = [run.plans[0]!, run.plans[0]!, run.plans[0]!];
    expect(frostRows(run.plans, 3)).toHaveLength(1);
    expect(renderReport(run)).toContain('data-rows="1"');
  });

  it('shows timing, cache hits, the plan table and the config', () => {
    expect(html).toContain('data-bars="4"');
    expect(html).toContain('2/4</b> epochs served from the activation cache');
    expect(html).toContain('<td class="name">block3_conv</td>');
    expect(html).toContain('&quot;backbone&quot;: &quot;mnist-cnn&quot;');
    expect(html).toContain('trainable params: ');
  });

  it('escapes everything it prints', () => {
    const run = fakeRun(1);
    run.title = '<script>alert(1)</script>';
    run.config = { note: '</pre><img src=x>' };
    const out = renderReport(run);
    expect(out).not.toContain('<script>alert(1)');
    expect(out).not.toContain('<img src=x>');
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('renders a run without validation data, timing or plans', () => {
    const out = renderReport({ epochs: [{ epoch: 0, loss: 0.5 }], plans: [] });
    expect(out).toContain('data-series="loss-train" data-points="1"');
    expect(out).not.toContain('data-series="loss-val"');
    expect(out).toContain('no accuracy recorded');
    expect(out).toContain('no plan recorded');
  });

  it('formats helpers', () => {
    expect(niceTicks(0, 1)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(niceTicks(0.2, 0.2).length).toBeGreaterThan(1);
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(2500)).toBe('2.50 s');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
  });
});
