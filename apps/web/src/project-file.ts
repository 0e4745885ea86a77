import { StudioError } from './errors';
import { DEFAULT_SETTINGS, type Project } from './project';

/** One JSON file holding a whole project; binary fields as tagged base64. */
const FORMAT = 'frostline-studio-project';
const VERSION = 1;

function toB64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromB64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function encode(_key: string, v: unknown): unknown {
  if (v instanceof Float32Array) return { $f32: toB64(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) };
  if (v instanceof ArrayBuffer) return { $bytes: toB64(new Uint8Array(v)) };
  return v;
}

function decode(_key: string, v: unknown): unknown {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if (typeof o.$f32 === 'string') return new Float32Array(fromB64(o.$f32).buffer);
    if (typeof o.$bytes === 'string') return fromB64(o.$bytes).buffer;
  }
  return v;
}

export function exportProjectFile(p: Project): Blob {
  // The replacer sees typed arrays and ArrayBuffers before JSON.stringify would flatten them.
  const text = JSON.stringify({ format: FORMAT, version: VERSION, project: p }, (k, v) => encode(k, v));
  return new Blob([text], { type: 'application/json' });
}

const bad = (why: string) =>
  new StudioError(
    'BAD_PROJECT_FILE',
    `this is not a frostline studio project file: ${why}`,
    'pick a file saved with "Export project"',
  );

/** Parse and check an exported project; throws StudioError BAD_PROJECT_FILE with what is wrong. */
export async function importProjectFile(file: Blob): Promise<Project> {
  let data: unknown;
  try {
    data = JSON.parse(await file.text(), decode);
  } catch (e) {
    throw bad(`not valid JSON (${(e as Error).message})`);
  }
  const d = data as { format?: unknown; version?: unknown; project?: Partial<Project> };
  if (d?.format !== FORMAT) throw bad('the "format" field is missing');
  if (d.version !== VERSION) throw bad(`version ${String(d.version)} is not supported (expected ${VERSION})`);
  const p = d.project;
  if (!p || !Array.isArray(p.classes) || typeof p.policyText !== 'string')
    throw bad('classes or policy are missing');
  for (const c of p.classes) {
    if (typeof c?.name !== 'string' || !Array.isArray(c.images))
      throw bad('a class has no name or image list');
    for (const img of c.images)
      if (!(img?.bytes instanceof ArrayBuffer)) throw bad(`image "${img?.name}" has no data`);
  }
  return {
    id: typeof p.id === 'string' ? p.id : crypto.randomUUID(),
    name: typeof p.name === 'string' ? p.name : 'Imported project',
    classes: p.classes,
    policyText: p.policyText,
    settings: { ...DEFAULT_SETTINGS, ...(p.settings ?? {}) },
    ...(p.trained ? { trained: p.trained } : {}),
    features: Array.isArray(p.features) ? p.features.filter((f) => f?.data instanceof Float32Array) : [],
    updatedAt: Date.now(),
  };
}
