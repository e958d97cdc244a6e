// ONNX Runtime peer: one ONNX `RNN` node (opset 14, Tanh, layout 0) with the weights as initializers, run by
// onnxruntime-node on the CPU execution provider. Same command line, data and output as peer_common.hpp:
//
//   NODE_PATH=<dir with node_modules> node peer_onnxruntime.js B T F U THREADS REPS [DUMP_FILE]
//
// prints median_seconds=<s> over REPS awaited session.run calls after one warm-up call; with DUMP_FILE it writes
// the last timestep's outputs [B, U] as raw float32. compare.py installs the packages pinned in package.json /
// package-lock.json (next to this file) with `npm ci --ignore-scripts` and sets NODE_PATH.
"use strict";

let ort, protobuf;
try {
    ort = require("onnxruntime-node");
    protobuf = require("protobufjs");
} catch (e) {
    process.stderr.write("peer_onnxruntime.js: " + e.message + "\n(set NODE_PATH to the node_modules directory " +
                         "of `npm ci --ignore-scripts` run in tools/bench/; compare.py does this)\n");
    process.exit(2);
}
const fs = require("fs");

// The part of onnx/onnx.proto (proto2, package onnx) this model needs, with the upstream field numbers.
const ONNX_PROTO = `
syntax = "proto2";
package onnx;
message AttributeProto {
  enum AttributeType { UNDEFINED = 0; FLOAT = 1; INT = 2; STRING = 3; STRINGS = 8; }
  optional string name = 1;
  optional AttributeType type = 20;
  optional int64 i = 3;
  repeated bytes strings = 9;
}
message ValueInfoProto { optional string name = 1; optional TypeProto type = 2; }
message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  repeated AttributeProto attribute = 5;
}
message ModelProto {
  optional int64 ir_version = 1;
  optional string producer_name = 2;
  optional GraphProto graph = 7;
  repeated OperatorSetIdProto opset_import = 8;
}
message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
}
message TensorProto {
  enum DataType { UNDEFINED = 0; FLOAT = 1; }
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  optional string name = 8;
  optional bytes raw_data = 9;
}
message TensorShapeProto {
  message Dimension { optional int64 dim_value = 1; }
  repeated Dimension dim = 1;
}
message TypeProto {
  message Tensor { optional int32 elem_type = 1; optional TensorShapeProto shape = 2; }
  optional Tensor tensor_type = 1;
}
message OperatorSetIdProto { optional string domain = 1; optional int64 version = 2; }
`;

// peer_common.hpp's pattern(): ((i * 2654435761 + salt * 97) mod 2001) / 1000 - 1, times scale, in double.
// The product is reduced mod 2001 first, so every intermediate stays an exact integer in a double.
function pattern(n, salt, scale) {
    const v = new Float32Array(n);
    const m = 2654435761 % 2001;
    for (let i = 0; i < n; ++i) {
        const k = ((i % 2001) * m + salt * 97) % 2001;
        v[i] = (k / 1000.0 - 1.0) * scale;
    }
    return v;
}

function transpose(src, rows, cols) {  // [rows, cols] -> [cols, rows]
    const dst = new Float32Array(rows * cols);
    for (let r = 0; r < rows; ++r)
        for (let c = 0; c < cols; ++c) dst[c * rows + r] = src[r * cols + c];
    return dst;
}

function buildModel(T, B, F, U, kernel, recurrent, bias) {
    const root = protobuf.parse(ONNX_PROTO, {keepCase: true}).root;
    const FLOAT = 1;
    const tensor = (name, dims, data) =>
        ({name, dims, data_type: FLOAT, raw_data: Buffer.from(data.buffer, data.byteOffset, data.byteLength)});
    const valueInfo = (name, dims) =>
        ({name, type: {tensor_type: {elem_type: FLOAT, shape: {dim: dims.map((d) => ({dim_value: d}))}}}});
    // ONNX: H_t = tanh(X_t W^T + H_{t-1} R^T + Wb + Rb). W = kernel^T [1, U, F], R = recurrent^T [1, U, U];
    // B = [Wb, Rb] [1, 2U] with Wb the Keras bias and Rb zero.
    const onnxBias = new Float32Array(2 * U);
    onnxBias.set(bias, 0);
    const model = {
        ir_version: 8,
        producer_name: "elman tools/bench/peer_onnxruntime.js",
        opset_import: [{domain: "", version: 14}],
        graph: {
            name: "simple_rnn",
            node: [{
                name: "rnn",
                op_type: "RNN",
                input: ["X", "W", "R", "B"],
                output: ["Y"],
                attribute: [
                    {name: "hidden_size", type: 2, i: U},
                    {name: "activations", type: 8, strings: [Buffer.from("Tanh")]},
                    {name: "layout", type: 2, i: 0},
                ],
            }],
            initializer: [
                tensor("W", [1, U, F], transpose(kernel, F, U)),
                tensor("R", [1, U, U], transpose(recurrent, U, U)),
                tensor("B", [1, 2 * U], onnxBias),
            ],
            input: [valueInfo("X", [T, B, F])],
            output: [valueInfo("Y", [T, 1, B, U])],
        },
    };
    const ModelProto = root.lookupType("onnx.ModelProto");
    const error = ModelProto.verify(model);
    if (error) throw new Error("ONNX model: " + error);
    return ModelProto.encode(ModelProto.fromObject(model)).finish();
}

async function main() {
    const argv = process.argv.slice(2);
    if (argv.length < 6) {
        process.stderr.write("usage: peer_onnxruntime.js B T F U THREADS REPS [DUMP_FILE]\n");
        process.exit(2);
    }
    const [B, T, F, U, threads, reps] = argv.slice(0, 6).map((s) => parseInt(s, 10));
    const dump = argv[6];
    if (![B, T, F, U, threads, reps].every((v) => Number.isInteger(v) && v >= 1)) {
        process.stderr.write("peer_onnxruntime.js: every size, THREADS and REPS must be an integer >= 1\n");
        process.exit(2);
    }
    const kernel = pattern(F * U, 1, 0.5 / Math.sqrt(F));
    const recurrent = pattern(U * U, 2, 0.5 / Math.sqrt(U));
    const bias = pattern(U, 3, 0.1);
    const x = pattern(B * T * F, 4, 1.0);  // [B, T, F]; layout 0 wants [T, B, F]
    const xTime = new Float32Array(T * B * F);
    for (let b = 0; b < B; ++b)
        for (let t = 0; t < T; ++t) xTime.set(x.subarray((b * T + t) * F, (b * T + t + 1) * F), (t * B + b) * F);

    const session = await ort.InferenceSession.create(buildModel(T, B, F, U, kernel, recurrent, bias), {
        executionProviders: ["cpu"],
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: "sequential",
        graphOptimizationLevel: "all",
        // IEEE subnormals, as every other peer computes them (docs/performance.md). Only a process's first session
        // applies this option; this process creates one.
        extra: {session: {set_denormal_as_zero: "0"}},
    });
    const feeds = {X: new ort.Tensor("float32", xTime, [T, B, F])};
    let out = await session.run(feeds);
    const seconds = [];
    for (let r = 0; r < reps; ++r) {
        const t0 = process.hrtime.bigint();
        out = await session.run(feeds);
        seconds.push(Number(process.hrtime.bigint() - t0) * 1e-9);
    }
    seconds.sort((a, b) => a - b);
    process.stdout.write("median_seconds=" + seconds[Math.floor(seconds.length / 2)].toPrecision(9) + "\n");
    if (dump) {
        const y = out.Y.data;  // [T, 1, B, U]: the last timestep is the last B*U values
        fs.writeFileSync(dump, Buffer.from(y.buffer, y.byteOffset + (T - 1) * B * U * 4, B * U * 4));
    }
    await session.release();
}

if (require.main === module) {
    main().catch((e) => {
        process.stderr.write("peer_onnxruntime.js: " + (e && e.stack ? e.stack : e) + "\n");
        process.exit(1);
    });
}
// The same model for other scripts (e.g. probing ONNX Runtime's behaviour by hand).
module.exports = {buildModel};
