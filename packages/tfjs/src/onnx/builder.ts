import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** Static shape in TF.js terms (channels last); `null` = unknown (the batch dimension). */
export type Shape = Array<number | null>;

/**
 * A tensor of the ONNX graph being written. Rank-4 image tensors may live channels-first inside the
 * graph (`nchw`: ONNX's Conv/Pool layout); everything else keeps TF.js' own axis order (`last`).
 */
export interface Value {
  name: string;
  /** Shape in TF.js' axis order (channels last), whatever the layout inside the graph. */
  shape: Shape;
  layout: 'nchw' | 'last';
}

export type AttrValue = number | number[] | string | { float: number };

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
const A = onnx.AttributeProto.AttributeType;

/** NHWC → NCHW and back. */
const TO_NCHW = [0, 3, 1, 2];
const TO_NHWC = [0, 2, 3, 1];

/** Collects nodes and initializers of one ONNX graph and encodes it as a ModelProto. */
export class OnnxGraphBuilder {
  private readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  private readonly initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  private readonly used = new Set<string>();
  /** Transposes already written, by source tensor name and target layout (each converted once). */
  private readonly converted = new Map<string, Value>();

  /** A tensor name not used yet, derived from `base` (layer names stay readable in the graph). */
  fresh(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_./:-]/g, '_') || 't';
    let name = clean;
    for (let i = 1; this.used.has(name); i++) name = `${clean}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Add one node; returns the name of its (first) output. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, out?: string): string {
    const output = out ?? this.fresh(`${inputs[0] ?? opType}/${opType}`);
    this.nodes.push(
      onnx.NodeProto.create({
        opType,
        input: inputs,
        output: [output],
        name: output,
        attribute: Object.entries(attrs).map(([name, v]) => attribute(name, v)),
      }),
    );
    return output;
  }

  /** A float32 constant (weights). */
  floats(base: string, data: Float32Array, dims: number[]): string {
    const name = this.fresh(base);
    const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
    this.initializers.push(onnx.TensorProto.create({ name, dataType: FLOAT, dims, rawData: raw }));
    return name;
  }

  /** An int64 constant (shapes, pads). */
  ints(base: string, values: number[]): string {
    const name = this.fresh(base);
    const raw = new Uint8Array(new BigInt64Array(values.map((v) => BigInt(v))).buffer);
    this.initializers.push(
      onnx.TensorProto.create({ name, dataType: INT64, dims: [values.length], rawData: raw }),
    );
    return name;
  }

  /** The value in channels-first layout (a Transpose, written once per tensor). */
  toNCHW(v: Value): Value {
    if (v.layout === 'nchw' || v.shape.length !== 4) return v;
    return this.transposed(v, 'nchw', TO_NCHW);
  }

  /** The value in TF.js' own axis order (a Transpose, written once per tensor). */
  toLast(v: Value): Value {
    if (v.layout === 'last') return v;
    return this.transposed(v, 'last', TO_NHWC);
  }

  private transposed(v: Value, layout: Value['layout'], perm: number[]): Value {
    const key = `${v.name}|${layout}`;
    const done = this.converted.get(key);
    if (done) return done;
    const name = this.op('Transpose', [v.name], { perm }, this.fresh(`${v.name}/${layout}`));
    const res: Value = { name, shape: v.shape, layout };
    this.converted.set(key, res);
    return res;
  }

  encode(opts: { inputs: Value[]; outputs: Value[]; opset: number; graphName: string }): Uint8Array {
    const info = (v: Value) =>
      onnx.ValueInfoProto.create({
        name: v.name,
        type: onnx.TypeProto.create({
          tensorType: onnx.TypeProto.Tensor.create({
            elemType: FLOAT,
            shape: onnx.TensorShapeProto.create({
              dim: v.shape.map((d) =>
                d == null
                  ? onnx.TensorShapeProto.Dimension.create({ dimParam: 'batch' })
                  : onnx.TensorShapeProto.Dimension.create({ dimValue: d }),
              ),
            }),
          }),
        }),
      });
    const model = onnx.ModelProto.create({
      // IR 8 is the newest this schema (ONNX 1.10) knows; it covers opsets 13–15 and is read by every
      // onnxruntime since 1.10.
      irVersion: 8,
      producerName: '@frostline/tfjs',
      opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: opts.opset })],
      graph: onnx.GraphProto.create({
        name: opts.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: opts.inputs.map(info),
        output: opts.outputs.map(info),
      }),
    });
    const bytes = onnx.ModelProto.encode(model).finish();
    // protobufjs hands out a Node Buffer in Node: return a plain Uint8Array everywhere.
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get nodeCount(): number {
    return this.nodes.length;
  }
}

function attribute(name: string, v: AttrValue): InstanceType<typeof onnx.AttributeProto> {
  if (typeof v === 'number') return onnx.AttributeProto.create({ name, type: A.INT, i: v });
  if (typeof v === 'string')
    return onnx.AttributeProto.create({ name, type: A.STRING, s: new TextEncoder().encode(v) });
  if (Array.isArray(v)) return onnx.AttributeProto.create({ name, type: A.INTS, ints: v });
  return onnx.AttributeProto.create({ name, type: A.FLOAT, f: v.float });
}
