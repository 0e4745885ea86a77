import type { CheckpointReader } from '@frostline/tfjs';
import * as tf from '@tensorflow/tfjs';
import { VisionError } from '../errors';
import { TO_TF, TO_TORCH, type TorchBinding } from './layers';

/** The outcome of matching a checkpoint's keys against an architecture, as `load_state_dict` reports it. */
export interface KeyReport {
  missing: string[];
  unexpected: string[];
  /** `key: checkpoint [..] vs model [..]` */
  mismatched: string[];
  /** Classifier keys a `strict: false` load leaves to a fresh initialisation. */
  replaced: string[];
  /** Checkpoint keys known to the architecture but not used (the classifier without `includeTop`). */
  unused: string[];
}

const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Match checkpoint keys (after `prefix`) against the bindings. `optional` keys may be absent
 * (`num_batches_tracked`, which timm and some exporters drop); `ignorable` keys are allowed but unused;
 * with `strict: false`, problems confined to `replaceable` keys (the classifier) become `replaced`.
 */
export function matchKeys(
  reader: CheckpointReader,
  prefix: string,
  bindings: readonly TorchBinding[],
  allowed: { optional: string[]; ignorable: string[]; replaceable: string[] },
  strict: boolean,
): KeyReport {
  const fileKeys = new Set(reader.keys().map((k) => k.slice(prefix.length)));
  const known = new Set([...bindings.map((b) => b.key), ...allowed.optional, ...allowed.ignorable]);
  const report: KeyReport = { missing: [], unexpected: [], mismatched: [], replaced: [], unused: [] };
  for (const b of bindings) {
    if (!fileKeys.has(b.key)) {
      report.missing.push(b.key);
      continue;
    }
    const e = reader.entry(prefix + b.key);
    if (!sameShape(e.shape, b.torchShape) || !/^(F|BF)/.test(e.dtype)) {
      report.mismatched.push(
        `${b.key}: checkpoint ${e.dtype}[${e.shape.join(', ')}] vs model [${b.torchShape.join(', ')}]`,
      );
    }
  }
  for (const k of fileKeys) {
    if (!known.has(k)) report.unexpected.push(k);
    else if (allowed.ignorable.includes(k)) report.unused.push(k);
  }
  if (!strict) {
    const top = new Set(allowed.replaceable);
    const isTop = (s: string) => top.has(s.split(':')[0]!);
    report.replaced = [...report.missing, ...report.mismatched].filter(isTop).map((s) => s.split(':')[0]!);
    report.missing = report.missing.filter((k) => !isTop(k));
    report.mismatched = report.mismatched.filter((k) => !isTop(k));
    // a replaced classifier's keys that are in the file (other shape) are not used either
    report.unused.push(...report.replaced.filter((k) => fileKeys.has(k)), ...report.unexpected.filter(isTop));
    report.unexpected = report.unexpected.filter((k) => !isTop(k));
  }
  return report;
}

const list = (title: string, items: string[]) =>
  items.length
    ? `\n  ${title} (${items.length}): ${items.slice(0, 12).join(', ')}${items.length > 12 ? ', …' : ''}`
    : '';

/** Throw WEIGHTS_MISMATCH listing every problem, as `load_state_dict(strict=True)` does. */
export function assertMatched(report: KeyReport, arch: string, file: string, topKey: string): void {
  const { missing, unexpected, mismatched } = report;
  if (missing.length + unexpected.length + mismatched.length === 0) return;
  const onlyTop = [...missing, ...mismatched].every((k) => k.startsWith(topKey)) && unexpected.length === 0;
  // timm's deep-stem / avg-down variants (resnet50d, resnet26t, …) name their stem `conv1.0`… and add a pool
  // in `downsample`; the plain timm resnet18/34/50 use torchvision's keys and load as they are.
  const timmVariant = unexpected.some((k) => /^conv1\.\d+\.|\.downsample\.2\./.test(k));
  throw new VisionError(
    'WEIGHTS_MISMATCH',
    `${file} does not fit ${arch}:${list('missing keys', missing)}${list('unexpected keys', unexpected)}${list('wrong shapes', mismatched)}`,
    timmVariant
      ? 'this looks like a timm deep-stem/avg-down ResNet variant (e.g. resnet50d), which is a different architecture; plain timm and torchvision resnet18/34/50 checkpoints load'
      : onlyTop
        ? `only the classifier differs: pass strict: false (and numClasses) to start a new \`${topKey}\``
        : `check that the file holds a ${arch} state_dict (arch: 'resnet18' | 'resnet34' | 'resnet50' | 'mobilenet_v2')`,
    { file, details: { arch, missing, unexpected, mismatched } },
  );
}

/** The LayerVariable for `layer/weight`. */
function variableOf(model: tf.LayersModel, b: TorchBinding): tf.LayerVariable {
  const v = model.getLayer(b.layer).weights.find((w) => w.originalName.split('/').at(-1) === b.weight);
  if (!v) throw new VisionError('LOAD_FAILED', `internal: layer ${b.layer} has no weight ${b.weight}`);
  return v;
}

/** Read every bound key (one tensor in memory at a time) into the model's variables. */
export async function loadBindings(
  model: tf.LayersModel,
  reader: CheckpointReader,
  prefix: string,
  bindings: readonly TorchBinding[],
  skip: ReadonlySet<string>,
): Promise<void> {
  for (const b of bindings) {
    if (skip.has(b.key)) continue;
    const w = await reader.read(prefix + b.key);
    const value = tf.tidy(() => {
      const t = tf.tensor(w.data, w.shape, 'float32');
      const perm = TO_TF[b.layout];
      return perm ? t.transpose(perm) : t;
    });
    variableOf(model, b).write(value);
    value.dispose();
  }
}

/** The model's weights back in PyTorch layout, keyed by state_dict names (the caller disposes them). */
export function bindingTensors(
  model: tf.LayersModel,
  bindings: readonly TorchBinding[],
): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const b of bindings) {
    const v = variableOf(model, b).read();
    const perm = TO_TORCH[b.layout];
    out.set(b.key, perm ? tf.tidy(() => v.transpose(perm)) : v.clone());
  }
  return out;
}
