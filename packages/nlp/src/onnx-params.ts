import type { ParamInfo } from '@frostline/core';
import { NlpError } from './errors';

/**
 * Lists an ONNX model's weights (graph initializers) as frostline parameters.
 *
 * ONNX Runtime sessions do not expose initializers, so the .onnx file is read directly. A ~60-line
 * protobuf walk is enough (ModelProto.graph → GraphProto.initializer/node → TensorProto dims/type/name)
 * and keeps a protobuf library out of the runtime dependencies; raw weight bytes are skipped, never
 * copied.
 */

// TensorProto.DataType values that hold learned weights (float and quantised integer matrices).
const FLOAT_TYPES = new Set([1, 10, 11, 16]); // FLOAT, FLOAT16, DOUBLE, BFLOAT16
const QUANT_TYPES = new Set([2, 3]); // UINT8, INT8

interface Initializer {
  name: string;
  dims: number[];
  dataType: number;
}

class Reader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }
  varint(): number {
    // Dims and lengths fit in 2^53; accumulate with multiplication to stay exact past 32 bits.
    let result = 0;
    let mult = 1;
    for (;;) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * mult;
      if (b < 0x80) return result;
      mult *= 128;
    }
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) {
      // Read the length first: `this.pos += this.varint()` would add it to the pre-varint position.
      const len = this.varint();
      this.pos += len;
    } else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
  /** Iterates fields; the callback reads the value or returns false to have it skipped. */
  fields(fn: (field: number, wire: number) => boolean): void {
    while (this.pos < this.end) {
      const key = this.varint();
      const field = Math.floor(key / 8);
      const wire = key & 7;
      if (!fn(field, wire)) this.skip(wire);
    }
    if (this.pos !== this.end) throw new Error('field overran its message');
  }
  sub(): Reader {
    const len = this.varint();
    const r = new Reader(this.buf, this.pos, this.pos + len);
    if (r.end > this.end) throw new Error('truncated message');
    this.pos += len;
    return r;
  }
  string(): string {
    const r = this.sub();
    return new TextDecoder().decode(this.buf.subarray(r.pos, r.end));
  }
}

function readTensor(r: Reader): Initializer {
  const t: Initializer = { name: '', dims: [], dataType: 0 };
  r.fields((field, wire) => {
    if (field === 1 && wire === 0) t.dims.push(r.varint());
    else if (field === 1 && wire === 2) {
      const packed = r.sub();
      while (packed.pos < packed.end) t.dims.push(packed.varint());
    } else if (field === 2 && wire === 0) t.dataType = r.varint();
    else if (field === 8 && wire === 2) t.name = r.string();
    else return false;
    return true;
  });
  return t;
}

export interface OnnxGraphInfo {
  initializers: Initializer[];
  /** initializer name → op type of the first node that consumes it. */
  consumers: Map<string, string>;
}

export function readOnnxGraph(bytes: Uint8Array): OnnxGraphInfo {
  const initializers: Initializer[] = [];
  const consumers = new Map<string, string>();
  const model = new Reader(bytes);
  let sawGraph = false;
  model.fields((field, wire) => {
    if (field !== 7 || wire !== 2) return false;
    sawGraph = true;
    const graph = model.sub();
    graph.fields((gf, gw) => {
      if (gf === 5 && gw === 2) {
        initializers.push(readTensor(graph.sub()));
        return true;
      }
      if (gf === 1 && gw === 2) {
        const node = graph.sub();
        const inputs: string[] = [];
        let op = '';
        node.fields((nf, nw) => {
          if (nf === 1 && nw === 2) inputs.push(node.string());
          else if (nf === 4 && nw === 2) op = node.string();
          else return false;
          return true;
        });
        for (const i of inputs) if (!consumers.has(i)) consumers.set(i, op);
        return true;
      }
      return false;
    });
    return true;
  });
  if (!sawGraph) throw new Error('no graph in ModelProto');
  return { initializers, consumers };
}

const LAYER_TYPES: Record<string, string> = {
  Gather: 'Embedding',
  MatMul: 'Linear',
  Gemm: 'Linear',
  MatMulInteger: 'Linear',
  DynamicQuantizeMatMul: 'Linear',
  LayerNormalization: 'LayerNorm',
  SkipLayerNormalization: 'LayerNorm',
  Conv: 'Conv',
};

function lastSep(name: string): number {
  return Math.max(name.lastIndexOf('.'), name.lastIndexOf('/'));
}

/**
 * The learned weights of an ONNX model as fixed (frozen-by-construction) parameters. Shape
 * constants (int64) and scalars are not parameters and are left out. `prefix` namespaces the names
 * so they never collide with a head's (`encoder/embeddings.word_embeddings.weight`).
 */
export function onnxParams(bytes: Uint8Array, opts: { prefix?: string; file?: string } = {}): ParamInfo[] {
  let info: OnnxGraphInfo;
  try {
    info = readOnnxGraph(bytes);
  } catch (cause) {
    throw new NlpError('MODEL_FILE_INVALID', `not a readable ONNX model (${(cause as Error).message})`, {
      file: opts.file,
      hint: 'regenerate or re-download the .onnx file; it may be truncated or a Git LFS pointer',
      cause,
    });
  }
  const prefix = opts.prefix ?? '';
  const out: ParamInfo[] = [];
  for (const t of info.initializers) {
    if (t.dims.length === 0) continue;
    if (!FLOAT_TYPES.has(t.dataType) && !QUANT_TYPES.has(t.dataType)) continue;
    const cut = lastSep(t.name);
    const layer = `${prefix}${cut > 0 ? t.name.slice(0, cut) : t.name}`;
    const op = info.consumers.get(t.name);
    out.push({
      name: `${prefix}${t.name}`,
      shape: t.dims,
      layer,
      layerType: op ? (LAYER_TYPES[op] ?? op) : 'Constant',
      kind: 'parameter',
      trainable: false,
      fixed: true,
    });
  }
  return out;
}
