/**
 * An allow-list pickle reader (protocols 0–5 binary opcodes as torch.save emits them).
 *
 * Nothing is ever executed: a GLOBAL / STACK_GLOBAL resolves only names the caller's
 * allow-list maps to a JS handler, and REDUCE / BUILD only call those handlers. Any other
 * global, object-construction opcode (INST, OBJ, NEWOBJ, NEWOBJ_EX) or out-of-band buffer
 * is refused with a `checkpoint-invalid` error that names the file and the offender.
 *
 * Python values map to: None → null, bool → boolean, int → number (bigint beyond 2^53),
 * float → number, str → string, bytes → Uint8Array, list → unknown[], tuple → PyTuple,
 * dict → Map, set → PySet; allow-listed callables produce whatever their handler returns.
 */
import { DeepscanError } from '../../util/errors.js';

export class PyTuple {
  constructor(readonly items: unknown[]) {}
}

export class PySet {
  constructor(readonly items: unknown[]) {}
}

/** An allow-listed global: calling it (REDUCE) runs `call`; BUILD on its results runs `build`. */
export class PyCallable {
  constructor(
    readonly qualifiedName: string,
    readonly call?: (args: unknown[]) => unknown,
  ) {}
}

/** An object that accepts BUILD (pickle's `__setstate__`). */
export interface Buildable {
  setState(state: unknown): void;
}

function isBuildable(v: unknown): v is Buildable {
  return typeof v === 'object' && v !== null && typeof (v as Partial<Buildable>).setState === 'function';
}

export interface UnpickleOptions {
  /** Name of the file (for messages). */
  file: string;
  /** Returns the handler for `module.name`, or undefined to refuse it. */
  resolveGlobal(module: string, name: string): unknown;
  /** Handles BINPERSID / PERSID. Without it, persistent ids are refused. */
  persistentLoad?(pid: unknown): unknown;
}

export interface UnpickleResult {
  value: unknown;
  /** Offset just past the STOP opcode. */
  end: number;
}

const MARK = Symbol('mark');

const textDecoder = new TextDecoder('utf-8', { fatal: true });

/** Upper bound on memo size and container growth is implied by input length; no other limits needed. */
export function unpickle(buf: Uint8Array, start: number, opts: UnpickleOptions): UnpickleResult {
  const file = opts.file;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = start;
  const stack: unknown[] = [];
  const metastack: unknown[][] = [];
  let curStack: unknown[] = stack;
  const memo = new Map<number, unknown>();

  const fail = (msg: string): never => {
    throw new DeepscanError('checkpoint-invalid', `${file}: ${msg}`, { file });
  };
  const need = (n: number, what: string): void => {
    if (n < 0 || pos + n > buf.length) fail(`truncated pickle (${what} at offset ${pos} needs ${n} bytes, file ends at ${buf.length})`);
  };
  const u8 = (): number => {
    need(1, 'byte');
    return buf[pos++];
  };
  const u16 = (): number => {
    need(2, 'uint16');
    const v = dv.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = (): number => {
    need(4, 'uint32');
    const v = dv.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const i32 = (): number => {
    need(4, 'int32');
    const v = dv.getInt32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = (): number => {
    need(8, 'uint64');
    const v = dv.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`length ${v} too large at offset ${pos - 8}`);
    return Number(v);
  };
  const bytes = (n: number, what: string): Uint8Array => {
    need(n, what);
    const b = buf.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  const utf8 = (n: number, what: string): string => {
    const b = bytes(n, what);
    try {
      return textDecoder.decode(b);
    } catch {
      return fail(`invalid UTF-8 in ${what} at offset ${pos - n}`);
    }
  };
  const latin1 = (b: Uint8Array): string => {
    let s = '';
    for (let i = 0; i < b.length; i += 4096) s += String.fromCharCode(...b.subarray(i, i + 4096));
    return s;
  };
  const line = (what: string): string => {
    const end = buf.indexOf(0x0a, pos);
    if (end < 0) fail(`truncated pickle (${what} without newline at offset ${pos})`);
    const s = latin1(buf.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const pop = (): unknown => {
    if (curStack.length === 0) fail(`pickle stack underflow at offset ${pos - 1}`);
    const v = curStack.pop();
    if (v === MARK) fail(`unexpected MARK on the stack at offset ${pos - 1}`);
    return v;
  };
  const top = (): unknown => {
    if (curStack.length === 0) fail(`pickle stack underflow at offset ${pos - 1}`);
    const v = curStack[curStack.length - 1];
    if (v === MARK) fail(`unexpected MARK on the stack at offset ${pos - 1}`);
    return v;
  };
  const popMark = (): unknown[] => {
    const items = curStack;
    if (metastack.length === 0) fail(`pickle MARK missing at offset ${pos - 1}`);
    curStack = metastack.pop()!;
    return items;
  };
  const push = (v: unknown): void => {
    curStack.push(v);
  };
  const decodeLong = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const resolve = (module: string, name: string): unknown => {
    const h = opts.resolveGlobal(module, name);
    if (h === undefined) fail(`refused global ${module}.${name} (not on the checkpoint allow-list; nothing was executed)`);
    return h;
  };
  const dictKey = (k: unknown): unknown => {
    if (k === null || typeof k === 'string' || typeof k === 'number' || typeof k === 'bigint' || typeof k === 'boolean') return k;
    return fail(`unsupported dictionary key type at offset ${pos - 1}`);
  };
  const setItems = (d: unknown, items: unknown[]): void => {
    if (!(d instanceof Map)) fail(`SETITEM(S) on a non-dict at offset ${pos - 1}`);
    if (items.length % 2 !== 0) fail(`odd number of items for SETITEMS at offset ${pos - 1}`);
    for (let i = 0; i < items.length; i += 2) (d as Map<unknown, unknown>).set(dictKey(items[i]), items[i + 1]);
  };
  const memoGet = (i: number): unknown => {
    if (!memo.has(i)) fail(`pickle memo key ${i} missing at offset ${pos}`);
    return memo.get(i);
  };

  for (;;) {
    const opPos = pos;
    if (pos >= buf.length) fail(`truncated pickle (no STOP opcode before end of file at offset ${pos})`);
    const op = buf[pos++];
    switch (op) {
      case 0x80: // PROTO
        {
          const p = u8();
          if (p > 5) fail(`unsupported pickle protocol ${p} at offset ${opPos}`);
        }
        break;
      case 0x95: // FRAME
        u64();
        break;
      case 0x2e: // STOP
        {
          const v = pop();
          return { value: v, end: pos };
        }
      case 0x28: // MARK
        metastack.push(curStack);
        curStack = [];
        break;
      case 0x30: // POP
        if (curStack.length === 0) fail(`pickle stack underflow at offset ${opPos}`);
        curStack.pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        push(top());
        break;
      case 0x4e: // NONE
        push(null);
        break;
      case 0x88: // NEWTRUE
        push(true);
        break;
      case 0x89: // NEWFALSE
        push(false);
        break;
      case 0x4a: // BININT
        push(i32());
        break;
      case 0x4b: // BININT1
        push(u8());
        break;
      case 0x4d: // BININT2
        push(u16());
        break;
      case 0x8a: // LONG1
        push(decodeLong(bytes(u8(), 'LONG1')));
        break;
      case 0x8b: // LONG4
        {
          const n = i32();
          if (n < 0) fail(`negative LONG4 length at offset ${opPos}`);
          push(decodeLong(bytes(n, 'LONG4')));
        }
        break;
      case 0x49: // INT (text)
        {
          const s = line('INT').trim();
          if (s === '00') push(false);
          else if (s === '01') push(true);
          else {
            if (!/^-?\d+$/.test(s)) fail(`invalid INT at offset ${opPos}`);
            const b = BigInt(s);
            push(b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b);
          }
        }
        break;
      case 0x4c: // LONG (text)
        {
          const s = line('LONG').trim().replace(/L$/, '');
          if (!/^-?\d+$/.test(s)) fail(`invalid LONG at offset ${opPos}`);
          const b = BigInt(s);
          push(b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b);
        }
        break;
      case 0x47: // BINFLOAT (big-endian double)
        need(8, 'BINFLOAT');
        push(dv.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x46: // FLOAT (text)
        {
          const v = Number(line('FLOAT'));
          if (Number.isNaN(v)) fail(`invalid FLOAT at offset ${opPos}`);
          push(v);
        }
        break;
      case 0x58: // BINUNICODE
        push(utf8(u32(), 'BINUNICODE'));
        break;
      case 0x8c: // SHORT_BINUNICODE
        push(utf8(u8(), 'SHORT_BINUNICODE'));
        break;
      case 0x8d: // BINUNICODE8
        push(utf8(u64(), 'BINUNICODE8'));
        break;
      case 0x42: // BINBYTES
        push(bytes(u32(), 'BINBYTES'));
        break;
      case 0x43: // SHORT_BINBYTES
        push(bytes(u8(), 'SHORT_BINBYTES'));
        break;
      case 0x8e: // BINBYTES8
        push(bytes(u64(), 'BINBYTES8'));
        break;
      case 0x96: // BYTEARRAY8
        push(bytes(u64(), 'BYTEARRAY8').slice());
        break;
      case 0x54: // BINSTRING (py2 str; decoded as latin-1)
        {
          const n = i32();
          if (n < 0) fail(`negative BINSTRING length at offset ${opPos}`);
          push(latin1(bytes(n, 'BINSTRING')));
        }
        break;
      case 0x55: // SHORT_BINSTRING
        push(latin1(bytes(u8(), 'SHORT_BINSTRING')));
        break;
      case 0x5d: // EMPTY_LIST
        push([]);
        break;
      case 0x7d: // EMPTY_DICT
        push(new Map());
        break;
      case 0x29: // EMPTY_TUPLE
        push(new PyTuple([]));
        break;
      case 0x8f: // EMPTY_SET
        push(new PySet([]));
        break;
      case 0x85: // TUPLE1
        push(new PyTuple([pop()]));
        break;
      case 0x86: // TUPLE2
        {
          const b = pop();
          const a = pop();
          push(new PyTuple([a, b]));
        }
        break;
      case 0x87: // TUPLE3
        {
          const c = pop();
          const b = pop();
          const a = pop();
          push(new PyTuple([a, b, c]));
        }
        break;
      case 0x74: // TUPLE
        push(new PyTuple(popMark()));
        break;
      case 0x6c: // LIST
        push(popMark());
        break;
      case 0x64: // DICT
        {
          const items = popMark();
          const d = new Map();
          setItems(d, items);
          push(d);
        }
        break;
      case 0x91: // FROZENSET
        push(new PySet(popMark()));
        break;
      case 0x61: // APPEND
        {
          const v = pop();
          const l = top();
          if (!Array.isArray(l)) fail(`APPEND on a non-list at offset ${opPos}`);
          (l as unknown[]).push(v);
        }
        break;
      case 0x65: // APPENDS
        {
          const items = popMark();
          const l = top();
          if (!Array.isArray(l)) fail(`APPENDS on a non-list at offset ${opPos}`);
          for (const v of items) (l as unknown[]).push(v);
        }
        break;
      case 0x90: // ADDITEMS
        {
          const items = popMark();
          const s = top();
          if (!(s instanceof PySet)) fail(`ADDITEMS on a non-set at offset ${opPos}`);
          (s as PySet).items.push(...items);
        }
        break;
      case 0x73: // SETITEM
        {
          const v = pop();
          const k = pop();
          setItems(top(), [k, v]);
        }
        break;
      case 0x75: // SETITEMS
        {
          const items = popMark();
          setItems(top(), items);
        }
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x70: // PUT (text)
        {
          const s = line('PUT');
          if (!/^\d+$/.test(s)) fail(`invalid PUT at offset ${opPos}`);
          memo.set(Number(s), top());
        }
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
        push(memoGet(u8()));
        break;
      case 0x6a: // LONG_BINGET
        push(memoGet(u32()));
        break;
      case 0x67: // GET (text)
        {
          const s = line('GET');
          if (!/^\d+$/.test(s)) fail(`invalid GET at offset ${opPos}`);
          push(memoGet(Number(s)));
        }
        break;
      case 0x63: // GLOBAL
        {
          const module = line('GLOBAL module');
          const name = line('GLOBAL name');
          push(resolve(module, name));
        }
        break;
      case 0x93: // STACK_GLOBAL
        {
          const name = pop();
          const module = pop();
          if (typeof module !== 'string' || typeof name !== 'string') fail(`STACK_GLOBAL with non-string operands at offset ${opPos}`);
          push(resolve(module as string, name as string));
        }
        break;
      case 0x52: // REDUCE
        {
          const args = pop();
          const fn = pop();
          if (!(fn instanceof PyCallable) || fn.call === undefined) {
            fail(`REDUCE on a value that is not an allow-listed callable at offset ${opPos}`);
          }
          if (!(args instanceof PyTuple)) fail(`REDUCE with non-tuple arguments at offset ${opPos}`);
          const f = fn as PyCallable;
          push(f.call!((args as PyTuple).items));
        }
        break;
      case 0x62: // BUILD
        {
          const state = pop();
          const obj = top();
          if (!isBuildable(obj)) fail(`BUILD on an object that does not accept state at offset ${opPos}`);
          (obj as Buildable).setState(state);
        }
        break;
      case 0x51: // BINPERSID
        {
          const pid = pop();
          if (!opts.persistentLoad) fail(`unexpected persistent id at offset ${opPos}`);
          push(opts.persistentLoad!(pid));
        }
        break;
      case 0x50: // PERSID (text)
        {
          const pid = line('PERSID');
          if (!opts.persistentLoad) fail(`unexpected persistent id at offset ${opPos}`);
          push(opts.persistentLoad!(pid));
        }
        break;
      case 0x69: // INST
        fail(`refused pickle opcode INST (global ${line('INST module')}.${line('INST name')}) at offset ${opPos}`);
        break;
      case 0x6f: // OBJ
        fail(`refused pickle opcode OBJ at offset ${opPos}`);
        break;
      case 0x81: // NEWOBJ
        fail(`refused pickle opcode NEWOBJ at offset ${opPos}`);
        break;
      case 0x92: // NEWOBJ_EX
        fail(`refused pickle opcode NEWOBJ_EX at offset ${opPos}`);
        break;
      case 0x82: // EXT1
      case 0x83: // EXT2
      case 0x84: // EXT4
        fail(`refused pickle extension-registry opcode 0x${op.toString(16)} at offset ${opPos}`);
        break;
      case 0x97: // NEXT_BUFFER
      case 0x98: // READONLY_BUFFER
        fail(`refused out-of-band pickle buffer opcode at offset ${opPos}`);
        break;
      default:
        fail(`unknown or unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')} at offset ${opPos}`);
    }
  }
}
