import type * as tf from '@tensorflow/tfjs';
import { rows } from './batching';
import { FrostlineTfjsError } from './errors';
import type { LossName } from './losses';

export interface XY {
  x: tf.Tensor | tf.Tensor[];
  y: tf.Tensor;
}
/** Either tensors to split (`validationSplit`) or explicit train / validation sets. */
export type TrainData = XY | { train: XY; validation?: XY };

const DATA_SHAPE =
  'data must be { x: tf.Tensor | tf.Tensor[], y: tf.Tensor } or { train: { x, y }, validation?: { x, y } }';

const isTensor = (v: unknown): v is tf.Tensor =>
  typeof v === 'object' &&
  v !== null &&
  Array.isArray((v as { shape?: unknown }).shape) &&
  typeof (v as { dataSync?: unknown }).dataSync === 'function';

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (isTensor(v)) return `a bare tf.Tensor of shape [${v.shape}]`;
  if (Array.isArray(v)) return `a plain array of length ${v.length}`;
  if (typeof v === 'object') return `an object with keys [${Object.keys(v).join(', ')}]`;
  return `${typeof v} ${String(v)}`.slice(0, 60);
}

function checkTensor(v: unknown, path: string): void {
  if (!isTensor(v)) {
    const fix = Array.isArray(v) ? ' (wrap plain arrays with tf.tensor(...))' : '';
    throw new FrostlineTfjsError(
      'BAD_DATA',
      `${path} is ${describe(v)}, not a tf.Tensor${fix}; ${DATA_SHAPE}.`,
    );
  }
  if (v.isDisposed) {
    throw new FrostlineTfjsError(
      'BAD_DATA',
      `${path} is a disposed tensor (shape [${v.shape}]); keep data tensors alive until train() resolves.`,
    );
  }
}

function checkXY(v: unknown, path: string): void {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || !('x' in v) || !('y' in v)) {
    throw new FrostlineTfjsError('BAD_DATA', `${path} is ${describe(v)}; ${DATA_SHAPE}.`);
  }
  const { x, y } = v as { x: unknown; y: unknown };
  if (Array.isArray(x) && x.length > 0 && x.every(isTensor)) {
    for (let i = 0; i < x.length; i++) checkTensor(x[i], `${path}.x[${i}]`);
  } else checkTensor(x, `${path}.x`);
  checkTensor(y, `${path}.y`);
}

/** The structure of `train`'s `data` argument: typed BAD_DATA saying what shape it must have. */
export function checkTrainData(data: unknown): asserts data is TrainData {
  if (data !== null && typeof data === 'object' && !Array.isArray(data) && 'train' in data) {
    checkXY((data as { train: unknown }).train, 'data.train');
    const validation = (data as { validation?: unknown }).validation;
    if (validation !== undefined) checkXY(validation, 'data.validation');
    return;
  }
  checkXY(data, 'data');
}

/** Sparse labels are class indices: finite integers in [0, units). */
function checkSparseLabels(y: tf.Tensor, units: number, what: string): void {
  if (y.rank > 1 && y.shape[y.rank - 1] !== 1) {
    throw new FrostlineTfjsError(
      'LABEL_MISMATCH',
      `${what}: sparse labels must be one class index per example (shape [n] or [n, 1]), got [${y.shape}].`,
    );
  }
  const values = y.dataSync();
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < 0) {
      throw new FrostlineTfjsError(
        'BAD_DATA',
        `${what}: label ${i} is ${v}, but sparse labels must be integer class indices in 0..${units - 1}. ` +
          'Fix or drop that example (NaN, negative and fractional labels have no class).',
        { details: { index: i, value: v } },
      );
    }
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (max >= units) {
    throw new FrostlineTfjsError(
      'LABEL_MISMATCH',
      `${what}: integer labels range over [${min}, ${max}] but the model outputs ${units} classes (0..${units - 1}). ` +
        `Make the head ${max + 1} units wide, or re-index the labels.`,
    );
  }
}

/** Check x/y against the model and the loss; throws BAD_DATA / LABEL_MISMATCH with a fix. */
export function checkData(model: tf.LayersModel, d: XY, loss: LossName, what: string): void {
  const xs = Array.isArray(d.x) ? d.x : [d.x];
  if (xs.length !== model.inputs.length) {
    throw new FrostlineTfjsError(
      'BAD_DATA',
      `${what}: the model has ${model.inputs.length} input(s) but ${xs.length} x tensor(s) were given. Pass x as ${model.inputs.length === 1 ? 'one tensor' : `an array of ${model.inputs.length} tensors`}.`,
    );
  }
  const n = rows(d.x);
  xs.forEach((x, i) => {
    const want = model.inputs[i]!.shape;
    const bad = x.rank !== want.length || want.some((s, j) => j > 0 && s != null && s !== x.shape[j]);
    if (bad) {
      throw new FrostlineTfjsError(
        'BAD_DATA',
        `${what}: x${xs.length > 1 ? `[${i}]` : ''} has shape [${x.shape}] but the model expects [${want.map((s) => s ?? 'batch')}]. ` +
          'Reshape or resize the inputs (e.g. add the channel axis with expandDims(-1)).',
      );
    }
    if (x.shape[0] !== n) {
      throw new FrostlineTfjsError('BAD_DATA', `${what}: all x tensors must have the same number of rows.`);
    }
  });
  if (d.y.shape[0] !== n) {
    throw new FrostlineTfjsError(
      'BAD_DATA',
      `${what}: x has ${n} rows but y has ${d.y.shape[0]}. Give one label per example.`,
    );
  }
  if (n === 0) throw new FrostlineTfjsError('BAD_DATA', `${what}: no examples.`);
  const outShape = model.outputs[0]!.shape;
  const units = outShape[outShape.length - 1] ?? 1;
  if (loss === 'categoricalCrossentropy') {
    const lastDim = d.y.shape[d.y.rank - 1];
    if (d.y.rank !== outShape.length || lastDim !== units) {
      throw new FrostlineTfjsError(
        'LABEL_MISMATCH',
        `${what}: labels have shape [${d.y.shape}] but the model outputs ${units} classes. ` +
          `One-hot encode labels with ${units} columns (tf.oneHot(labels, ${units})), or use integer labels with loss 'sparseCategoricalCrossentropy', or change the head to ${lastDim} units.`,
      );
    }
  } else if (loss === 'sparseCategoricalCrossentropy') {
    checkSparseLabels(d.y, units, what);
  } else if (d.y.rank !== outShape.length || d.y.shape[d.y.rank - 1] !== units) {
    throw new FrostlineTfjsError(
      'BAD_DATA',
      `${what}: targets have shape [${d.y.shape}] but the model outputs [${outShape.map((s) => s ?? 'batch')}].`,
    );
  }
}
