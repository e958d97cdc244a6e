#!/usr/bin/env python3
"""Writes the libFuzzer seed corpora fuzz/corpus/<target>/ from the committed io fixtures (tests/data/io/)
plus a few hand-written edge cases. Python standard library only; run from the repository root:
    python3 tools/io_fixtures/make_fuzz_corpus.py
Files are named after their origin, so re-running rewrites the same seeds."""
import json
import pathlib
import struct
import zipfile

root = pathlib.Path(__file__).resolve().parents[2]
data = root / "tests" / "data" / "io"
out = root / "fuzz" / "corpus"


def put(target, name, payload):
    d = out / target
    d.mkdir(parents=True, exist_ok=True)
    if isinstance(payload, str):
        payload = payload.encode()
    (d / name).write_bytes(payload)


tfjs_models = sorted((data / "tfjs").iterdir())

# --- json_parse: the tfjs model.json files and JSON edge cases -----------------------------------------------
for m in tfjs_models:
    put("json_parse", f"tfjs_{m.name}.json", (m / "model.json").read_bytes())
for name, text in {
    "scalars.json": '[null, true, false, 0, -0, 1.5e-300, -2.5E+10, 9223372036854775807, 18446744073709551616, 1e400]',
    "nonfinite.json": '{"a": NaN, "b": Infinity, "c": -Infinity}',
    "unicode.json": '["\\u00e9\\ud83d\\ude00\\n\\t\\"\\\\\\/", "caf\u00e9"]',
    "nested.json": "[" * 40 + "]" * 40,
    "bom.json": "\ufeff{\"x\": [1, 2, {\"y\": {}}]}",
    "duplicate.json": '{"a": 1, "a": 2}',
    "truncated.json": '{"class_name": "SimpleRNN", "config": {"units": 4, ',
}.items():
    put("json_parse", name, text)

# --- layer_config: every SimpleRNN layer entry / config in both spellings --------------------------------------
def layers_of(topology):
    t = topology.get("model_config", topology)
    cfg = t["config"]
    return cfg if isinstance(cfg, list) else cfg["layers"]


for m in tfjs_models:
    topology = json.loads((m / "model.json").read_text())["modelTopology"]
    for layer in layers_of(topology):
        if layer["class_name"] == "SimpleRNN":
            name = layer["config"]["name"]
            put("layer_config", f"tfjs_{m.name}_{name}_entry.json", json.dumps(layer))
            put("layer_config", f"tfjs_{m.name}_{name}_config.json", json.dumps(layer["config"]))
keras = {
    "name": "simple_rnn", "trainable": True, "batch_input_shape": [None, 5, 3], "dtype": "float32",
    "return_sequences": True, "return_state": False, "go_backwards": False, "stateful": False, "unroll": False,
    "time_major": False, "units": 4, "activation": "linear", "use_bias": True,
    "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
    "recurrent_initializer": {"class_name": "Orthogonal", "config": {"gain": 1.0, "seed": None}},
    "bias_initializer": {"class_name": "Zeros", "config": {}},
    "kernel_regularizer": {"class_name": "L2", "config": {"l2": 0.009999999776482582}},
    "recurrent_regularizer": {"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.0010000000474974513}},
    "bias_regularizer": None, "activity_regularizer": {"class_name": "L1", "config": {"l1": 0.009999999776482582}},
    "kernel_constraint": {"class_name": "MaxNorm", "config": {"max_value": 2, "axis": 0}},
    "recurrent_constraint": {"class_name": "UnitNorm", "config": {"axis": 0}},
    "bias_constraint": {"class_name": "MinMaxNorm", "config": {"min_value": 0.0, "max_value": 1.0, "rate": 1.0, "axis": 0}},
    "dropout": 0.25, "recurrent_dropout": 0.0,
}
put("layer_config", "keras_full.json", json.dumps({"class_name": "SimpleRNN", "config": keras}))
put("layer_config", "keras_strings.json", json.dumps({
    "name": "r", "units": 2, "activation": "hard_sigmoid", "kernel_initializer": "he_normal",
    "recurrent_initializer": "identity", "bias_initializer": "ones", "kernel_regularizer": "l1_l2",
    "bias_constraint": "non_neg", "stateful": True, "batch_input_shape": [2, None, 3], "seed": 7}))
put("layer_config", "keras_variance_scaling.json", json.dumps({
    "units": 3, "kernel_initializer": {"class_name": "VarianceScaling",
                                      "config": {"scale": 2.0, "mode": "fan_out", "distribution": "uniform", "seed": 1}}}))

# --- npy: one array of every fixture .npz, the bad .npy fixtures, a Fortran-order and a float64 array ----------
for f in sorted((data / "npz").glob("*.npz")):
    if "compressed" in f.name:
        continue
    with zipfile.ZipFile(f) as z:
        first = z.namelist()[0]
        put("npy", f"{f.stem}_{first}", z.read(first))
for f in sorted((data / "bad").glob("*.npy")):
    put("npy", f"bad_{f.name}", f.read_bytes())


def npy(descr, fortran, shape, payload, version=1):
    header = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, shape)
    prefix = 10 if version == 1 else 12
    header += " " * ((64 - (prefix + len(header) + 1) % 64) % 64) + "\n"
    size = struct.pack("<H", len(header)) if version == 1 else struct.pack("<I", len(header))
    return b"\x93NUMPY" + bytes([version, 0]) + size + header.encode() + payload


put("npy", "fortran_2x3.npy", npy("<f4", "True", "(2, 3)", struct.pack("<6f", 1, 2, 3, 4, 5, 6)))
put("npy", "v2_f8_3.npy", npy("<f8", "False", "(3,)", struct.pack("<3d", 1, 2, 3), version=2))
put("npy", "scalar.npy", npy("<f4", "False", "()", struct.pack("<f", 7)))

# --- npz: the fixture archives (stored and deflated) and the bad ones ----------------------------------------
for f in sorted((data / "npz").glob("*.npz")):
    put("npz", f.name, f.read_bytes())
for f in sorted((data / "bad").glob("*.npz")):
    put("npz", f"bad_{f.name}", f.read_bytes())

# --- tfjs: model.json, a NUL byte, then the group's shards concatenated -------------------------------------
for m in tfjs_models:
    manifest = json.loads((m / "model.json").read_text())["weightsManifest"]
    shards = b"".join((m / p).read_bytes() for g in manifest for p in g["paths"])
    put("tfjs", f"{m.name}.bin", (m / "model.json").read_bytes() + b"\0" + shards)
    put("tfjs", f"{m.name}_truncated.bin", (m / "model.json").read_bytes() + b"\0" + shards[:-4])

# --- size-scaling seeds: many keys, many members, long arrays ------------------------------------------------
# Inputs at the sizes where a per-item cost that is not constant (a quadratic duplicate check, a large
# allocation per small input byte) shows; tools/fuzz.sh runs the structure fuzzers with a -max_len above them.
many_keys = {f"k{(i * 7919) % 4096}": i for i in range(4096)}
put("json_parse", "scale_4096_keys.json", json.dumps(many_keys))
put("json_parse", "scale_4096_keys_duplicate.json", json.dumps(many_keys)[:-1] + ', "k2048": 0}')
put("json_parse", "scale_30000_numbers.json", "[" + ",".join(["0"] * 30000) + "]")
put("json_parse", "scale_mixed_array.json", json.dumps([i if i % 3 else {"a": [i, str(i)]} for i in range(3000)]))
put("json_parse", "scale_utf8_keys.json", json.dumps({chr(0x100 + i): [] for i in range(2000)}, ensure_ascii=False))
wide = dict(keras)
wide.update({f"extra_{i}": None for i in range(3000)})
put("layer_config", "scale_3000_extra_keys.json", json.dumps({"class_name": "SimpleRNN", "config": wide}))
put("layer_config", "scale_long_shape.json", json.dumps(dict(keras, batch_input_shape=[None] * 5000)))


def zip_of(members, compression):
    import io
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, payload in members:
            z.writestr(name, payload)
    return buf.getvalue()


tiny = npy("<f4", "False", "(1,)", struct.pack("<f", 1))
put("npz", "scale_1000_members.npz", zip_of([(f"arr_{i}.npy", tiny) for i in range(1000)], zipfile.ZIP_STORED))
put("npz", "scale_1000_members_deflated.npz",
    zip_of([(f"arr_{i}.npy", tiny) for i in range(1000)], zipfile.ZIP_DEFLATED))
put("npz", "scale_long_array_deflated.npz",
    zip_of([("arr_0.npy", npy("<f4", "False", "(30000,)", bytes(120000)))], zipfile.ZIP_DEFLATED))
put("npy", "scale_long_array.npy", npy("<f4", "False", "(16384,)", bytes(65536)))
put("npy", "scale_leading_zero_shape.npy", npy("<f4", "False", "(02, 3)", bytes(24)))
first = tfjs_models[0]
model = json.loads((first / "model.json").read_text())
shards = b"".join((first / p).read_bytes() for g in model["weightsManifest"] for p in g["paths"])
model["weightsManifest"][0]["weights"] += [{"name": f"extra_{i}", "shape": [1], "dtype": "float32"}
                                           for i in range(2000)]
put("tfjs", "scale_2000_weights.bin", json.dumps(model).encode() + b"\0" + shards + bytes(8000))
model = json.loads((first / "model.json").read_text())
model["weightsManifest"][0]["paths"] = model["weightsManifest"][0]["paths"] * 2000
put("tfjs", "scale_2000_paths.bin", json.dumps(model).encode() + b"\0" + shards)
