import type { Backbone } from './backbone';

export interface DescribeOptions {
  /** `names` (default): layer names per stage; `detail`: one line per layer with type and params; `none`. */
  layers?: 'names' | 'detail' | 'none';
}

const fmt = (n: number) => n.toLocaleString('en-US');
const isBuffer = (name: string) => /moving_(mean|variance)$/.test(name);

interface LayerCount {
  params: number;
  buffers: number;
}

function countLayer(b: Backbone, name: string): LayerCount {
  let params = 0;
  let buffers = 0;
  for (const w of b.model.getLayer(name).weights) {
    const n = w.shape.reduce<number>((a, d) => a * (d ?? 1), 1);
    if (isBuffer(w.originalName)) buffers += n;
    else params += n;
  }
  return { params, buffers };
}

/**
 * A readable table of a backbone's stages: aliases, layer count, learnable parameters and BN
 * statistics (Keras counts the latter as "non-trainable params"; frostline lists them as buffers).
 */
export function describeBackbone(b: Backbone, opts: DescribeOptions = {}): string {
  const mode = opts.layers ?? 'names';
  const rows = b.stages.map((s) => {
    const counts = s.layers.map((l) => ({ name: l, ...countLayer(b, l) }));
    return {
      stage: s,
      counts,
      params: counts.reduce((n, c) => n + c.params, 0),
      buffers: counts.reduce((n, c) => n + c.buffers, 0),
    };
  });
  const totalParams = rows.reduce((n, r) => n + r.params, 0);
  const totalBuffers = rows.reduce((n, r) => n + r.buffers, 0);
  const [h, w, c] = b.inputShape;
  const out: string[] = [
    `${b.name}: input ${h}×${w}×${c}, preprocessing ${b.preprocessing}, features at ${b.featureLayer}`,
    `${fmt(totalParams)} params + ${fmt(totalBuffers)} BN statistics in ${b.stages.length} stages, ${b.model.layers.length} layers`,
    '',
  ];
  const header = ['stage', 'aliases', 'layers', 'params', 'buffers'];
  const table = rows.map((r) => [
    r.stage.name,
    r.stage.aliases.join(',') || '-',
    String(r.stage.layers.length),
    fmt(r.params),
    fmt(r.buffers),
  ]);
  const widths = header.map((hd, i) => Math.max(hd.length, ...table.map((t) => t[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i >= 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ');
  out.push(line(header), ...table.map(line));
  if (mode === 'none') return out.join('\n');
  for (const r of rows) {
    out.push('', `${r.stage.name}${r.stage.aliases.length ? ` (${r.stage.aliases.join(', ')})` : ''}:`);
    if (mode === 'detail') {
      for (const cnt of r.counts) {
        const type = b.model.getLayer(cnt.name).getClassName();
        out.push(`  ${cnt.name.padEnd(32)} ${type.padEnd(22)} ${fmt(cnt.params).padStart(10)}`);
      }
    } else {
      const items = r.counts.map((cnt) => (cnt.params ? `${cnt.name} (${fmt(cnt.params)})` : cnt.name));
      let cur = ' ';
      for (const item of items) {
        if (cur.length + item.length + 2 > 108) {
          out.push(cur.trimEnd());
          cur = ' ';
        }
        cur += ` ${item},`;
      }
      out.push(cur.replace(/,$/, ''));
    }
  }
  return out.join('\n');
}
