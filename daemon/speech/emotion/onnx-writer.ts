/**
 * A minimal ONNX (protobuf) writer for small hand-built models: float tensors, nodes with int /
 * ints attributes, graph inputs and outputs with static or symbolic dims. onnxruntime-node only
 * runs models, and pulling in protobufjs + onnx.proto for a five-node graph is not worth it; the
 * field numbers below are from onnx/onnx.proto (IR version 7, default opset).
 */

// ---- protobuf wire format -------------------------------------------------------------------------

function varint(n: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}

class Msg {
  private readonly parts: Buffer[] = [];
  int(field: number, v: number | bigint): this {
    this.parts.push(Buffer.from([...varint((field << 3) | 0), ...varint(v)]));
    return this;
  }
  bytes(field: number, b: Buffer): this {
    this.parts.push(Buffer.from([...varint((field << 3) | 2), ...varint(b.length)]), b);
    return this;
  }
  float(field: number, v: number): this {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.parts.push(Buffer.from(varint((field << 3) | 5)), b);
    return this;
  }
  str(field: number, s: string): this {
    return this.bytes(field, Buffer.from(s, 'utf8'));
  }
  msg(field: number, m: Msg): this {
    return this.bytes(field, m.build());
  }
  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}

// ---- ONNX ----------------------------------------------------------------------------------------

const FLOAT = 1;

export interface Tensor {
  name: string;
  dims: number[];
  data: readonly number[];
}

export type Attr = { name: string; int: number } | { name: string; ints: number[] } | { name: string; float: number };

export interface Node {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Attr[];
}

/** A dim: a number, or a name for a symbolic (dynamic) dimension. */
export interface ValueInfo {
  name: string;
  dims: (number | string)[];
}

export interface Graph {
  name: string;
  nodes: Node[];
  initializers: Tensor[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** Default 13. */
  opset?: number;
  producer?: string;
  docString?: string;
}

function tensor(t: Tensor): Msg {
  const m = new Msg();
  for (const d of t.dims) m.int(1, d);
  m.int(2, FLOAT);
  m.str(8, t.name);
  const raw = Buffer.alloc(t.data.length * 4);
  t.data.forEach((v, i) => raw.writeFloatLE(v, i * 4));
  m.bytes(9, raw);
  return m;
}

function valueInfo(v: ValueInfo): Msg {
  const shape = new Msg();
  for (const d of v.dims) shape.msg(1, typeof d === 'number' ? new Msg().int(1, d) : new Msg().str(2, d));
  const tensorType = new Msg().int(1, FLOAT).msg(2, shape);
  return new Msg().str(1, v.name).msg(2, new Msg().msg(1, tensorType));
}

function attr(a: Attr): Msg {
  // AttributeProto: name 1, f 2 (fixed32), i 3, ints 8, type 20 (FLOAT 1, INT 2, INTS 7).
  const m = new Msg().str(1, a.name);
  if ('int' in a) return m.int(3, a.int).int(20, 2);
  if ('float' in a) return m.float(2, a.float).int(20, 1);
  for (const v of a.ints) m.int(8, v);
  return m.int(20, 7);
}

/** Serialise a graph as an ONNX ModelProto. */
export function buildOnnx(g: Graph): Buffer {
  const graph = new Msg();
  g.nodes.forEach((n, i) => {
    const node = new Msg();
    for (const x of n.inputs) node.str(1, x);
    for (const y of n.outputs) node.str(2, y);
    node.str(3, `${n.op.toLowerCase()}_${i}`);
    node.str(4, n.op);
    for (const a of n.attrs ?? []) node.msg(5, attr(a));
    graph.msg(1, node);
  });
  graph.str(2, g.name);
  for (const t of g.initializers) graph.msg(5, tensor(t));
  if (g.docString) graph.str(10, g.docString);
  for (const v of g.inputs) graph.msg(11, valueInfo(v));
  for (const v of g.outputs) graph.msg(12, valueInfo(v));
  const model = new Msg().int(1, 7).str(2, g.producer ?? 'frontdesk').msg(7, graph).msg(8, new Msg().str(1, '').int(2, g.opset ?? 13));
  return model.build();
}
