import type { WeightDType } from './dtypes';
import { weightsError } from './source';

/**
 * A restricted reader for the pickles inside `torch.save` archives (`data.pkl`). It understands only what a
 * state_dict is made of (dicts, lists, tuples, numbers, strings, `collections.OrderedDict`, tensors rebuilt by
 * `torch._utils._rebuild_tensor_v2` from `torch.*Storage` persistent ids) and builds plain JS values. It never
 * imports or calls anything: every other global or opcode is an UNSAFE_PICKLE error, before it could act.
 */

/** A Python tuple (kept apart from lists so persistent ids can be recognised). */
export class PyTuple {
  constructor(readonly items: unknown[]) {}
}

/** A reference to a whitelisted global; the only things REDUCE may "call". */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

/** A storage named by a persistent id: `archive/data/<key>`, `numel` elements of `dtype`. */
export interface StorageRef {
  kind: 'storage';
  key: string;
  dtype: WeightDType;
  numel: number;
}

/** A tensor view of a storage, as `_rebuild_tensor_v2(storage, offset, size, stride, …)` describes it. */
export interface TensorRef {
  kind: 'tensor';
  storage: StorageRef;
  offset: number;
  shape: number[];
  stride: number[];
}

export const STORAGE_DTYPES: Readonly<Record<string, WeightDType>> = {
  FloatStorage: 'F32',
  DoubleStorage: 'F64',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};

const REBUILD = new Set([
  '_rebuild_tensor_v2',
  '_rebuild_tensor',
  '_rebuild_parameter',
  '_rebuild_parameter_with_state',
]);

function allowedGlobal(module: string, name: string): boolean {
  if (module === 'collections' && name === 'OrderedDict') return true;
  if (module === 'torch._utils' && REBUILD.has(name)) return true;
  return module === 'torch' && Object.hasOwn(STORAGE_DTYPES, name);
}

const MARK = Symbol('mark');

interface PickleContext {
  file: string;
  /** The archive member being read (`archive/data.pkl`). */
  entry: string;
  persistentLoad(pid: unknown, at: number): StorageRef;
}

function asInts(v: unknown): number[] | undefined {
  const items = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : undefined;
  return items?.every((x) => Number.isSafeInteger(x)) ? (items as number[]) : undefined;
}

/** REDUCE: the only callables are OrderedDict and torch's tensor rebuild functions. */
function reduce(ctx: PickleContext, fn: unknown, args: unknown, at: number): unknown {
  const a = args instanceof PyTuple ? args.items : [];
  const bad = (what: string) =>
    weightsError(
      'UNSAFE_PICKLE',
      ctx.file,
      ctx.entry,
      `${what} (pickle byte ${at})`,
      'Only state_dicts of tensors can be read; re-save with torch.save(model.state_dict(), path).',
    );
  if (!(fn instanceof PyGlobal)) throw bad('REDUCE applied to something that is not an allowed function');
  if (fn.qualified === 'collections.OrderedDict') {
    const m = new Map<unknown, unknown>();
    const init = a[0];
    if (Array.isArray(init)) for (const p of init) if (p instanceof PyTuple) m.set(p.items[0], p.items[1]);
    return m;
  }
  if (fn.name === '_rebuild_parameter' || fn.name === '_rebuild_parameter_with_state') return a[0];
  if (fn.name === '_rebuild_tensor_v2' || fn.name === '_rebuild_tensor') {
    const [storage, offset] = a;
    const shape = asInts(a[2]);
    const stride = asInts(a[3]);
    const ok =
      typeof storage === 'object' &&
      (storage as StorageRef | null)?.kind === 'storage' &&
      Number.isSafeInteger(offset);
    if (!ok || !shape || !stride || shape.length !== stride.length)
      throw bad(`${fn.qualified} with unexpected arguments`);
    const t: TensorRef = {
      kind: 'tensor',
      storage: storage as StorageRef,
      offset: offset as number,
      shape,
      stride,
    };
    return t;
  }
  throw bad(`${fn.qualified} cannot be called`);
}

/**
 * Run a state_dict pickle. Returns the root object (a Map for dicts).
 * Long on purpose: one flat opcode dispatch over shared stack/memo state, as a pickle machine is.
 */
export function unpickle(bytes: Uint8Array, ctx: PickleContext): unknown {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  let p = 0;
  const corrupt = (what: string) =>
    weightsError(
      'WEIGHTS_CORRUPT',
      ctx.file,
      ctx.entry,
      `${what} at pickle byte ${p}`,
      'The archive is damaged; save it again.',
    );
  const need = (n: number) => {
    if (p + n > bytes.length) throw corrupt('the pickle ends early');
    const at = p;
    p += n;
    return at;
  };
  const u8 = () => bytes[need(1)]!;
  const u32 = () => dv.getUint32(need(4), true);
  const text = (n: number) => new TextDecoder().decode(bytes.subarray(need(n), p));
  const line = () => {
    const end = bytes.indexOf(10, p);
    if (end < 0) throw corrupt('an unterminated text argument');
    return text(end - p + 1).slice(0, -1);
  };
  const pop = () => {
    if (stack.length === 0) throw corrupt('stack underflow');
    return stack.pop();
  };
  const popMark = (): unknown[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) throw corrupt('no MARK');
    const items = stack.splice(i);
    items.shift();
    return items;
  };
  const top = () => {
    if (stack.length === 0) throw corrupt('stack underflow');
    return stack[stack.length - 1];
  };
  const setItems = (target: unknown, items: unknown[]) => {
    if (!(target instanceof Map)) throw corrupt('SETITEM(S) on a non-dict');
    for (let i = 0; i + 1 < items.length; i += 2) target.set(items[i], items[i + 1]);
  };
  const global = (module: string, name: string, at: number) => {
    if (!allowedGlobal(module, name)) {
      throw weightsError(
        'UNSAFE_PICKLE',
        ctx.file,
        ctx.entry,
        `the pickle refers to ${module}.${name} (byte ${at}), which a state_dict never needs; nothing was executed`,
        'Only tensors, dicts and lists are read. If you trust the file, load it in Python and re-save just the state_dict (torch.save(model.state_dict(), path)) or convert it to .safetensors.',
      );
    }
    return new PyGlobal(module, name);
  };
  const get = (k: number) => {
    if (!memo.has(k)) throw corrupt(`memo key ${k} was never stored`);
    return memo.get(k);
  };

  for (;;) {
    const at = p;
    const op = u8();
    switch (op) {
      case 0x80:
        u8();
        break; // PROTO
      case 0x95:
        need(8);
        break; // FRAME
      case 0x2e:
        return pop(); // STOP
      case 0x28:
        stack.push(MARK);
        break;
      case 0x30:
        pop();
        break; // POP
      case 0x31:
        popMark();
        break; // POP_MARK
      case 0x32:
        stack.push(top());
        break; // DUP
      case 0x4e:
        stack.push(null);
        break; // NONE
      case 0x88:
        stack.push(true);
        break;
      case 0x89:
        stack.push(false);
        break;
      case 0x4a:
        stack.push(dv.getInt32(need(4), true));
        break; // BININT
      case 0x4b:
        stack.push(u8());
        break; // BININT1
      case 0x4d:
        stack.push(dv.getUint16(need(2), true));
        break; // BININT2
      case 0x8a: // LONG1
      case 0x8b: {
        // LONG4
        const n = op === 0x8a ? u8() : u32();
        const b = bytes.subarray(need(n), p);
        let v = 0n;
        for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
        if (n > 0 && b[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
        stack.push(
          v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v,
        );
        break;
      }
      case 0x49: {
        // INT (text)
        const s = line();
        stack.push(s === '01' ? true : s === '00' ? false : Number.parseInt(s, 10));
        break;
      }
      case 0x4c:
        stack.push(Number.parseInt(line().replace(/L$/, ''), 10));
        break; // LONG (text)
      case 0x47:
        stack.push(dv.getFloat64(need(8), false));
        break; // BINFLOAT (big-endian)
      case 0x46:
        stack.push(Number.parseFloat(line()));
        break; // FLOAT (text)
      case 0x58:
        stack.push(text(u32()));
        break; // BINUNICODE
      case 0x8c:
        stack.push(text(u8()));
        break; // SHORT_BINUNICODE
      case 0x8d:
        stack.push(text(Number(dv.getBigUint64(need(8), true))));
        break; // BINUNICODE8
      case 0x54:
        stack.push(text(u32()));
        break; // BINSTRING
      case 0x55:
        stack.push(text(u8()));
        break; // SHORT_BINSTRING
      case 0x42:
        stack.push(bytes.slice(need(u32()), p));
        break; // BINBYTES
      case 0x43:
        stack.push(bytes.slice(need(u8()), p));
        break; // SHORT_BINBYTES
      case 0x29:
        stack.push(new PyTuple([]));
        break; // EMPTY_TUPLE
      case 0x74:
        stack.push(new PyTuple(popMark()));
        break; // TUPLE
      case 0x85:
        stack.push(new PyTuple([pop()]));
        break; // TUPLE1
      case 0x86: {
        const b = pop();
        stack.push(new PyTuple([pop(), b]));
        break;
      } // TUPLE2
      case 0x87: {
        const c = pop();
        const b = pop();
        stack.push(new PyTuple([pop(), b, c]));
        break;
      } // TUPLE3
      case 0x5d:
        stack.push([]);
        break; // EMPTY_LIST
      case 0x6c:
        stack.push(popMark());
        break; // LIST
      case 0x61: {
        const v = pop();
        const l = top();
        if (!Array.isArray(l)) throw corrupt('APPEND to a non-list');
        l.push(v);
        break;
      }
      case 0x65: {
        const items = popMark();
        const l = top();
        if (!Array.isArray(l)) throw corrupt('APPENDS to a non-list');
        l.push(...items);
        break;
      }
      case 0x7d:
        stack.push(new Map());
        break; // EMPTY_DICT
      case 0x64: {
        const m = new Map();
        setItems(m, popMark());
        stack.push(m);
        break;
      } // DICT
      case 0x73: {
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      } // SETITEM
      case 0x75: {
        const items = popMark();
        setItems(top(), items);
        break;
      } // SETITEMS
      case 0x63: {
        const module = line();
        stack.push(global(module, line(), at));
        break;
      } // GLOBAL
      case 0x93: {
        const name = pop();
        const module = pop();
        stack.push(global(String(module), String(name), at));
        break;
      } // STACK_GLOBAL
      case 0x52: {
        const args = pop();
        stack.push(reduce(ctx, pop(), args, at));
        break;
      } // REDUCE
      case 0x62: {
        // BUILD: only the `_metadata` attribute torch sets on a state_dict's OrderedDict
        pop();
        if (!(top() instanceof Map)) {
          throw weightsError(
            'UNSAFE_PICKLE',
            ctx.file,
            ctx.entry,
            `BUILD on an object (pickle byte ${at})`,
            'Only state_dicts of tensors can be read.',
          );
        }
        break;
      }
      case 0x51:
        stack.push(ctx.persistentLoad(pop(), at));
        break; // BINPERSID
      case 0x50:
        stack.push(ctx.persistentLoad(line(), at));
        break; // PERSID
      case 0x71:
        memo.set(u8(), top());
        break; // BINPUT
      case 0x72:
        memo.set(u32(), top());
        break; // LONG_BINPUT
      case 0x70:
        memo.set(Number.parseInt(line(), 10), top());
        break; // PUT
      case 0x94:
        memo.set(memo.size, top());
        break; // MEMOIZE
      case 0x68:
        stack.push(get(u8()));
        break; // BINGET
      case 0x6a:
        stack.push(get(u32()));
        break; // LONG_BINGET
      case 0x67:
        stack.push(get(Number.parseInt(line(), 10)));
        break; // GET
      default:
        throw weightsError(
          'UNSAFE_PICKLE',
          ctx.file,
          ctx.entry,
          `pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${at} is not part of a state_dict; nothing was executed`,
          'Only tensors, dicts and lists are read; re-save with torch.save(model.state_dict(), path) or convert to .safetensors.',
        );
    }
  }
}
