import { loadTfjs } from '../adapters';
import type { ParsedCommand } from '../args';
import type { CliIO } from '../io';

type CacheCommand = Extract<ParsedCommand, { command: 'cache' }>;

const mib = (bytes: number) =>
  bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(2)} GiB` : `${(bytes / 1024 ** 2).toFixed(1)} MiB`;

/** What an entry holds, for people: the split and the data it came from (an image folder's entry names its hash). */
function describeEntry(d: Record<string, unknown>): string {
  const split = typeof d.split === 'string' ? d.split : '';
  const data = typeof d.data === 'string' ? d.data : '';
  return [split, data.length > 48 ? `${data.slice(0, 45)}…` : data].filter(Boolean).join(' · ');
}

/** `frostline cache ls|clear`: the persistent feature store that lets later runs skip the frozen prefix. */
export async function cacheCommand(cmd: CacheCommand, io: CliIO): Promise<number> {
  const { FeatureStore } = await loadTfjs();
  const store = await FeatureStore.open(cmd.dir !== undefined ? { dir: cmd.dir } : {});
  const entries = store.list();
  if (cmd.action === 'ls') {
    const total = entries.reduce((a, e) => a + e.bytes, 0);
    if (cmd.flags.json) {
      const list = entries.map((e) => ({ ...e, lastUsed: e.lastUsed.toISOString() }));
      io.stdout.write(
        `${JSON.stringify({ ok: true, command: 'cache', dir: store.root, bytes: total, entries: list })}\n`,
      );
      return 0;
    }
    io.stdout.write(
      `feature cache ${store.root}: ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}, ${mib(total)} (limit ${mib(store.maxBytes)})\n`,
    );
    if (entries.length === 0) return 0;
    const rows = entries.map((e) => [
      e.key,
      String(e.rows),
      mib(e.bytes),
      e.lastUsed.toISOString().slice(0, 19).replace('T', ' '),
      describeEntry(e.describe),
    ]);
    const head = ['key', 'rows', 'size', 'last used', 'holds'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (r: string[]) =>
      r
        .map((c, i) => (i === 1 || i === 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd();
    io.stdout.write(`${[line(head), ...rows.map(line)].join('\n')}\n`);
    return 0;
  }
  const known = new Set(entries.map((e) => e.key));
  const unknown = (cmd.keys ?? []).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    const { CliError } = await import('../errors');
    throw new CliError(
      'BAD_OPTION',
      `no feature-cache entry ${unknown.map((k) => `'${k}'`).join(', ')} in ${store.root}`,
      {
        hint: "run 'frostline cache ls' for the keys",
      },
    );
  }
  const before = entries.length;
  const freed = store.clear(cmd.keys);
  const removed = before - store.list().length;
  if (cmd.flags.json) {
    io.stdout.write(
      `${JSON.stringify({ ok: true, command: 'cache', dir: store.root, removed, freedBytes: freed })}\n`,
    );
  } else {
    io.stdout.write(
      `removed ${removed} entr${removed === 1 ? 'y' : 'ies'} from ${store.root}, freed ${mib(freed)}\n`,
    );
  }
  return 0;
}
