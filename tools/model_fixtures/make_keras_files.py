#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Write Keras model files (tests/data/model/keras/) from the tfjs fixture models of tests/data/model/.

Run with Debian's python3 (h5py 3.7 + numpy): `/usr/bin/python3 tools/model_fixtures/make_keras_files.py`.
No Keras is needed or used: each tfjs model (model.json + weights.bin, written by generate.mjs with tfjs' own
predict outputs in case.json) is rewritten in the layouts the Keras versions write, so the tests can check that
every layout gives tfjs' outputs:

  <case>.tf2.h5         tf.keras 2.x `model.save`: keras_version 2.12.0, weights `<layer>/<layer>/<cell>/kernel:0`
  <case>.k21.h5 + .json Keras 2.1 `model.save_weights` + `model.to_json()`: groups at the root, names with `:0`,
                        the weight_names of a layer without weights an empty float64 array, Sequential config a list
  <case>.k1.h5          Keras 1.2.2 `model.save`: Keras 1 config keys (output_dim, init, inner_init, W_regularizer,
                        dropout_W, consume_less, input_dtype, Dense `bias`), also inside Bidirectional and
                        TimeDistributed; Functional models as class `Model` with [name, node, tensor] inbound
                        refs; weights `<layer>_W:0` (`forward_<inner>_W:0` in a Bidirectional)
  <case>.k3.h5          Keras 3 legacy h5: `sequential/<layer>/simple_rnn_cell/kernel` (no `:0`), InputLayer
                        `batch_shape`, DTypePolicy dicts, `top_level_model_weights` with empty weight_names
  <case>.keras          Keras 3 `.keras` zip: metadata.json, config.json (module, registered_name, build_config,
                        shared_object_id), model.weights.h5 with `layers/<snake_case class>[_n]/.../vars/<i>` and
                        the `name` attribute on every vars group, plus an `optimizer` group

The Keras 3 hard_sigmoid case (k3_hard_sigmoid) has no tfjs counterpart (tfjs' hard_sigmoid is TF 2.x's): its
weights are random with a fixed seed and its expected outputs are computed HERE with numpy in float64, using
Keras 3's definition hard_sigmoid(x) = relu6(x + 3) / 6.

Writes tests/data/model/keras/cases.json: one entry per file with the tfjs case whose case.json holds the
expected outputs (or the file with them).
"""
import copy
import io
import json
import pathlib
import re
import zipfile

import h5py
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODEL = ROOT / "tests" / "data" / "model"
OUT = MODEL / "keras"

STR = h5py.string_dtype()


def member(name):
    """A zip member entry with a fixed time stamp (writestr with a bare name stamps the current time), so the
    archives are the same bytes at every run."""
    info = zipfile.ZipInfo(name, date_time=(2026, 12, 2, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    return info


def snake(name):
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def load_tfjs(case):
    m = json.loads((MODEL / case / "model.json").read_text())
    data = (MODEL / case / "weights.bin").read_bytes()
    weights, offset = [], 0
    for group in m["weightsManifest"]:
        for w in group["weights"]:
            n = int(np.prod(w["shape"])) if w["shape"] else 1
            a = np.frombuffer(data, "<f4", n, offset).reshape(w["shape"])
            offset += 4 * n
            weights.append((w["name"], a))
    return m["modelTopology"], weights


def layer_weights(weights):
    """{layer name: [(name below the layer, array)]} in manifest (= Keras) order."""
    out = {}
    for name, a in weights:
        layer, rest = name.split("/", 1)
        out.setdefault(layer, []).append((rest, a))
    return out


def layers_of(topology):
    return topology["config"]["layers"]


def layer_name(entry):
    return entry.get("name") or entry["config"]["name"]


def saved_layers(topology):
    """model.layers as Keras 2 and 3 list them: a Sequential model without its InputLayer."""
    layers = layers_of(topology)
    if topology["class_name"] == "Sequential":
        return [l for l in layers if l["class_name"] != "InputLayer"]
    return layers


def h5_names(group, key, names):
    if names:
        group.attrs[key] = np.array([n.encode() for n in names])
    else:
        group.attrs[key] = np.array([], dtype=np.float64)  # what Keras writes for an empty list


def write_groups(root, topology, lw, name_of, string_attrs=False):
    """One group per layer with `weight_names` and the datasets at those paths."""
    names = [layer_name(l) for l in saved_layers(topology)]
    if string_attrs:
        root.attrs["layer_names"] = np.array(names, dtype=object).astype(STR)
    else:
        h5_names(root, "layer_names", names)
    for entry in saved_layers(topology):
        n = layer_name(entry)
        g = root.create_group(n)
        ws = lw.get(n, [])
        wn = [name_of(entry, rest) for rest, _ in ws]
        if string_attrs and wn:
            g.attrs["weight_names"] = np.array(wn, dtype=object).astype(STR)
        else:
            h5_names(g, "weight_names", wn)
        for w, (_, a) in zip(wn, ws):
            g.create_dataset(w, data=a)


def tf2_name(entry, rest):
    # tf.keras 2.x: the cell of a SimpleRNN (and of each direction of a Bidirectional) is its own name scope.
    n = layer_name(entry)
    role = rest.rsplit("/", 1)[-1]
    if entry["class_name"] == "SimpleRNN":
        digits = re.findall(r"\d+", n)  # tf.keras numbers the cell as the layer: simple_rnn_9 -> simple_rnn_cell_9
        return f"{n}/simple_rnn_cell{'_' + digits[-1] if digits else ''}/{role}:0"
    if entry["class_name"] == "Bidirectional":
        direction = rest.rsplit("/", 1)[0]
        return f"{n}/{direction}/simple_rnn_cell/{role}:0"
    return f"{n}/{rest}:0"


def write_tf2(case, topology, weights):
    lw = layer_weights(weights)
    path = OUT / f"{case}.tf2.h5"
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = "2.12.0"
        f.attrs["backend"] = "tensorflow"
        t = copy.deepcopy(topology)
        t["keras_version"], t["backend"] = "2.12.0", "tensorflow"
        f.attrs["model_config"] = json.dumps(t)
        mw = f.create_group("model_weights")
        mw.attrs["keras_version"] = "2.12.0"
        mw.attrs["backend"] = "tensorflow"
        write_groups(mw, topology, lw, tf2_name, string_attrs=True)
        h5_names(mw.create_group("top_level_model_weights"), "weight_names", [])
    return path.name


def write_k21(case, topology, weights):
    lw = layer_weights(weights)
    path = OUT / f"{case}.k21.h5"
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = np.bytes_("2.1.1")
        f.attrs["backend"] = np.bytes_("tensorflow")
        write_groups(f, topology, lw, lambda e, rest: f"{layer_name(e)}/{rest}:0")
    t = copy.deepcopy(topology)
    if t["class_name"] == "Sequential":
        t["config"] = t["config"]["layers"]  # Keras 2.1's Sequential.get_config() is the layer list
    t["keras_version"], t["backend"] = "2.1.1", "tensorflow"
    (OUT / f"{case}.k21.json").write_text(json.dumps(t))
    return path.name, f"{case}.k21.json"


KERAS1 = {
    "SimpleRNN": {"units": "output_dim", "kernel_initializer": "init", "recurrent_initializer": "inner_init",
                  "kernel_regularizer": "W_regularizer", "recurrent_regularizer": "U_regularizer",
                  "bias_regularizer": "b_regularizer", "kernel_constraint": "W_constraint",
                  "recurrent_constraint": "U_constraint", "bias_constraint": "b_constraint", "dropout": "dropout_W",
                  "recurrent_dropout": "dropout_U", "dtype": "input_dtype"},
    "Dense": {"units": "output_dim", "kernel_initializer": "init", "use_bias": "bias",
              "kernel_regularizer": "W_regularizer", "bias_regularizer": "b_regularizer",
              "kernel_constraint": "W_constraint", "bias_constraint": "b_constraint", "dtype": "input_dtype"},
    "Embedding": {"embeddings_initializer": "init", "embeddings_regularizer": "W_regularizer",
                  "embeddings_constraint": "W_constraint", "dtype": "input_dtype"},
    "Dropout": {"rate": "p"},
}
KERAS1_DROP = {"SimpleRNN": {"use_bias", "bias_initializer", "return_state"}, "Dense": {"bias_initializer"}}
KERAS1_ROLE = {"kernel": "W", "recurrent_kernel": "U", "bias": "b", "embeddings": "W"}


def keras1_config(entry):
    """A layer entry in Keras 1.2.2's spelling; a wrapper's inner layer (Bidirectional, TimeDistributed) too."""
    cls, c = entry["class_name"], entry["config"]
    out = {}
    for k, v in c.items():
        if k in KERAS1_DROP.get(cls, ()):
            continue
        if isinstance(v, dict) and "class_name" in v and k.endswith("initializer"):
            v = snake(v["class_name"]) if v["class_name"] != "VarianceScaling" else "glorot_uniform"
        if k == "layer" and isinstance(v, dict):
            v = keras1_config(v)
        out[KERAS1.get(cls, {}).get(k, "input_dtype" if k == "dtype" else k)] = v
    if cls == "SimpleRNN":
        out["consume_less"] = "cpu"
    result = {"class_name": cls, "config": out}
    if "inbound_nodes" in entry:  # Keras 1 Functional: [[name, node, tensor]] without the kwargs
        result["name"] = layer_name(entry)
        result["inbound_nodes"] = [[ref[:3] for ref in node] for node in entry["inbound_nodes"]]
    return result


def keras1_name(entry, rest):
    """Keras 1.2.2 weight names: <layer>_W / _U / _b; a Bidirectional's directions are forward_<inner> and
    backward_<inner>, a TimeDistributed layer's weights are its inner layer's."""
    role = KERAS1_ROLE[rest.rsplit("/", 1)[-1]]
    if entry["class_name"] == "Bidirectional":
        inner = entry["config"]["layer"]["config"]["name"]
        return f"{rest.split('_', 1)[0]}_{inner}_{role}:0"
    if entry["class_name"] == "TimeDistributed":
        return f"{entry['config']['layer']['config']['name']}_{role}:0"
    return f"{layer_name(entry)}_{role}:0"


def write_k1(case, topology, weights):
    lw = layer_weights(weights)
    path = OUT / f"{case}.k1.h5"
    layers = [keras1_config(l) for l in saved_layers(topology)]
    if topology["class_name"] == "Sequential":
        config = {"class_name": "Sequential", "config": layers}
    else:  # Keras 1 calls a Functional model `Model`
        c = topology["config"]
        config = {"class_name": "Model", "config": {"name": c["name"], "layers": layers,
                                                    "input_layers": c["input_layers"],
                                                    "output_layers": c["output_layers"]}}
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = np.bytes_("1.2.2")
        f.attrs["model_config"] = np.bytes_(json.dumps(config))
        mw = f.create_group("model_weights")
        write_groups(mw, topology, lw, keras1_name)
    return path.name


def keras3_layer(entry, functional, sid):
    """A layer entry as Keras 3 serializes it."""
    cls = entry["class_name"]
    c = copy.deepcopy(entry["config"])
    policy = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None,
              "shared_object_id": 1001}
    if cls == "InputLayer":
        c = {"batch_shape": c["batch_input_shape"], "dtype": "float32", "sparse": False, "ragged": False,
             "name": c["name"]}
    else:
        c["dtype"] = policy
        c.pop("batch_input_shape", None)
        for k, v in list(c.items()):
            if isinstance(v, dict) and "class_name" in v and k.endswith("initializer"):
                c[k] = {"module": "keras.initializers", "class_name": v["class_name"], "config": v["config"],
                        "registered_name": None, "shared_object_id": sid()}
            if k in ("layer", "backward_layer") and isinstance(v, dict):
                c[k] = keras3_layer(v, False, sid)
                c[k].pop("build_config", None)
        if cls == "SimpleRNN":
            c.setdefault("zero_output_for_mask", False)
            c.setdefault("seed", None)
    out = {"module": "keras.layers", "class_name": cls, "config": c, "registered_name": None}
    if cls != "InputLayer":
        out["build_config"] = {"input_shape": None}
    if functional:
        out["name"] = c["name"]
        nodes = []
        for node in entry.get("inbound_nodes", []):
            args = [{"class_name": "__keras_tensor__",
                     "config": {"shape": None, "dtype": "float32", "keras_history": [r[0], r[1], r[2]]}}
                    for r in node]
            # One input: args = [tensor]; several (a merge layer): args = [[tensor, tensor, ...]].
            nodes.append({"args": [args] if len(args) > 1 else args, "kwargs": {}})
        out["inbound_nodes"] = nodes
    return out


def keras3_topology(topology):
    ids = iter(range(2000, 3000))
    functional = topology["class_name"] != "Sequential"
    layers = layers_of(topology)
    out_layers = []
    if not functional:
        first = layers[0]["config"]
        out_layers.append({"module": "keras.layers", "class_name": "InputLayer",
                           "config": {"batch_shape": first["batch_input_shape"], "dtype": "float32",
                                      "sparse": False, "ragged": False, "name": "input_layer"},
                           "registered_name": None})
    out_layers += [keras3_layer(l, functional, lambda: next(ids)) for l in layers]
    cfg = {"name": topology["config"].get("name", "model"), "trainable": True,
           "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
                     "registered_name": None, "shared_object_id": 1001},
           "layers": out_layers}
    if functional:
        cfg["input_layers"] = topology["config"]["input_layers"]
        cfg["output_layers"] = topology["config"]["output_layers"]
    # Keras 3 finds Sequential as keras.Sequential, Functional (no keras.* export) by module path and registered name.
    return {"module": "keras.src.models.functional" if functional else "keras",
            "class_name": "Functional" if functional else "Sequential", "config": cfg,
            "registered_name": "Functional" if functional else None, "build_config": {"input_shape": None},
            "compile_config": {"optimizer": {"module": "keras.optimizers", "class_name": "Adam",
                                             "config": {"name": "adam", "learning_rate": 0.001},
                                             "registered_name": None},
                               "loss": "mse", "loss_weights": None, "metrics": None, "weighted_metrics": None,
                               "run_eagerly": False, "steps_per_execution": 1, "jit_compile": False}}


def write_k3_h5(case, topology, weights):
    lw = layer_weights(weights)
    t3 = keras3_topology(topology)
    model = t3["config"]["name"]
    path = OUT / f"{case}.k3.h5"

    def name_of(entry, rest):
        n, role = layer_name(entry), rest.rsplit("/", 1)[-1]
        if entry["class_name"] == "SimpleRNN":
            return f"{model}/{n}/simple_rnn_cell/{role}"
        if entry["class_name"] == "Bidirectional":
            return f"{model}/{n}/{rest.rsplit('/', 1)[0]}/simple_rnn_cell/{role}"
        return f"{model}/{n}/{rest}"

    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = "3.9.2"
        f.attrs["backend"] = "tensorflow"
        # Keras 3's legacy h5 stores {"class_name", "config"} and its layer entries without module,
        # registered_name and build_config (their dtype policies and initializers keep theirs).
        t = {"class_name": t3["class_name"], "config": dict(t3["config"])}
        t["config"]["layers"] = [{k: v for k, v in l.items() if k not in ("module", "registered_name", "build_config")}
                                 for l in t3["config"]["layers"]]
        f.attrs["model_config"] = json.dumps(t)
        mw = f.create_group("model_weights")
        mw.attrs["keras_version"] = "3.9.2"
        mw.attrs["backend"] = "tensorflow"
        write_groups(mw, topology, lw, name_of, string_attrs=True)
        h5_names(mw.create_group("top_level_model_weights"), "weight_names", [])
    return path.name


def keras3_weights_image(topology, lw):
    """model.weights.h5 as Keras 3's saving_lib writes it."""
    buf = io.BytesIO()
    t3 = keras3_topology(topology)
    with h5py.File(buf, "w") as f:
        used = {}
        entries = [l for l in t3["config"]["layers"]]
        if t3["class_name"] == "Sequential":
            entries = entries[1:]
        for entry in entries:
            cls, n = entry["class_name"], entry["config"]["name"]
            key = snake(cls)
            if key in used:
                used[key] += 1
                key = f"{key}_{used[key]}"
            else:
                used[key] = 0
            g = f.create_group(f"layers/{key}")
            ws = [a for _, a in lw.get(n, [])]

            def vars_group(path, name, arrays):
                v = g.create_group(path) if path else g
                v = v.create_group("vars")
                v.attrs["name"] = name
                for i, a in enumerate(arrays):
                    v.create_dataset(str(i), data=a)

            if cls == "SimpleRNN":
                vars_group("", n, [])
                vars_group("cell", "simple_rnn_cell", ws)
            elif cls == "TimeDistributed":
                vars_group("", n, [])
                vars_group("layer", entry["config"]["layer"]["config"]["name"], ws)
            elif cls == "Bidirectional":
                inner = entry["config"]["layer"]["config"]["name"]
                vars_group("", n, [])
                # saving_lib walks the attributes alphabetically: backward_layer before forward_layer.
                for d, part in (("backward_layer", ws[len(ws) // 2:]), ("forward_layer", ws[:len(ws) // 2])):
                    sub = g.create_group(d)
                    v = sub.create_group("vars")
                    v.attrs["name"] = f"{d.split('_')[0]}_{inner}"
                    c = sub.create_group("cell").create_group("vars")
                    c.attrs["name"] = "simple_rnn_cell"
                    for i, a in enumerate(part):
                        c.create_dataset(str(i), data=a)
            else:
                vars_group("", n, ws)
        f.create_group("vars").attrs["name"] = t3["config"]["name"]
        o = f.create_group("optimizer").create_group("vars")
        o.attrs["name"] = "adam"
        o.create_dataset("0", data=np.int64(0))
        o.create_dataset("1", data=np.float32(0.001))
    return t3, buf.getvalue()


def write_keras(case, topology, weights, version="3.9.2"):
    t3, image = keras3_weights_image(topology, layer_weights(weights))
    path = OUT / f"{case}.keras"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr(member("metadata.json"), json.dumps({"keras_version": version, "date_saved": "2026-12-02@00:00:00"}))
        z.writestr(member("config.json"), json.dumps(t3))
        z.writestr(member("model.weights.h5"), image)
    return path.name


def hard_sigmoid_case():
    """Keras 3 hard_sigmoid in a SimpleRNN and a Dense; expected outputs from numpy (float64) right here."""
    rng = np.random.default_rng(20261202)
    f, u, d, T, B = 3, 4, 2, 5, 2
    k = rng.normal(0, 1.5, (f, u)).astype(np.float32)
    r = rng.normal(0, 1.0, (u, u)).astype(np.float32)
    b = rng.normal(0, 0.5, (u,)).astype(np.float32)
    dk = rng.normal(0, 2.0, (u, d)).astype(np.float32)
    db = rng.normal(0, 0.5, (d,)).astype(np.float32)
    x = rng.uniform(-3, 3, (B, T, f)).astype(np.float32)

    def hs3(z):  # Keras 3: relu6(z + 3) / 6
        return np.clip(z + 3.0, 0.0, 6.0) / 6.0

    h = np.zeros((B, u))
    seq = []
    for t in range(T):
        h = hs3(x[:, t].astype(np.float64) @ k + h @ r + b)
        seq.append(h)
    y = hs3(np.stack(seq, 1) @ dk.astype(np.float64) + db)
    topology = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"class_name": "SimpleRNN", "config": {
            "name": "simple_rnn", "trainable": True, "batch_input_shape": [None, T, f], "units": u,
            "activation": "hard_sigmoid", "use_bias": True, "return_sequences": True, "return_state": False,
            "go_backwards": False, "stateful": False, "unroll": False, "dropout": 0.0, "recurrent_dropout": 0.0,
            "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
            "recurrent_initializer": {"class_name": "Orthogonal", "config": {"gain": 1.0, "seed": None}},
            "bias_initializer": {"class_name": "Zeros", "config": {}}}},
        {"class_name": "Dense", "config": {"name": "dense", "trainable": True, "units": d,
                                           "activation": "hard_sigmoid", "use_bias": True}}]}}
    weights = [("simple_rnn/kernel", k), ("simple_rnn/recurrent_kernel", r), ("simple_rnn/bias", b),
               ("dense/kernel", dk), ("dense/bias", db)]

    def tensor(a, dtype="float32"):
        return {"shape": list(a.shape), "dtype": dtype, "data": [float(v) for v in a.ravel()]}

    case = {"name": "k3_hard_sigmoid",
            "note": "Keras 3 hard_sigmoid = relu6(x + 3) / 6 in SimpleRNN and Dense; expected outputs computed by "
                    "make_keras_files.py with numpy in float64 (no Keras).",
            "calls": [{"reset_before": False, "inputs": [tensor(x)], "outputs": [tensor(y)]}]}
    (OUT / "k3_hard_sigmoid.expected.json").write_text(json.dumps(case))
    return topology, weights


def write_error_files():
    """Small broken variants of seq_rnn_dense for the loaders' error paths (tests/test_model_keras_files.cpp)."""
    import shutil
    src = OUT / "seq_rnn_dense.tf2.h5"

    def variant(name, edit):
        path = OUT / f"err_{name}"
        shutil.copy(src, path)
        with h5py.File(path, "r+") as f:
            edit(f)

    def unsupported(f):
        f.attrs["model_config"] = f.attrs["model_config"].replace('"Dense"', '"Conv1D"')

    dense = "model_weights/dense_Dense1"

    def count(f):
        g = f[dense]
        g.attrs["weight_names"] = g.attrs["weight_names"][:1]

    def shape(f):
        g = f[dense]
        name = g.attrs["weight_names"][0]
        a = np.array(g[name])
        del g[name]
        g.create_dataset(name, data=a.T.copy())

    def missing(f):
        del f[dense]

    def float64(f):
        g = f[dense]
        name = g.attrs["weight_names"][0]
        a = np.array(g[name], np.float64)
        del g[name]
        g.create_dataset(name, data=a)

    variant("unsupported_class.h5", unsupported)
    variant("weight_count.h5", count)
    variant("weight_shape.h5", shape)
    variant("missing_group.h5", missing)
    variant("float64.h5", float64)

    with h5py.File(OUT / "err_keras1_merge.h5", "w") as f:
        f.attrs["keras_version"] = np.bytes_("1.2.2")
        f.attrs["model_config"] = np.bytes_(json.dumps({"class_name": "Sequential", "config": [
            {"class_name": "Merge", "config": {"name": "merge_1", "mode": "concat", "concat_axis": -1}}]}))
        h5_names(f.create_group("model_weights"), "layer_names", [])

    z = zipfile.ZipFile(OUT / "seq_rnn_dense.keras")
    members = {n: z.read(n) for n in z.namelist()}

    def zip_variant(name, members_out):
        with zipfile.ZipFile(OUT / f"err_{name}", "w", zipfile.ZIP_STORED) as out:
            for n, data in members_out.items():
                out.writestr(member(n), data)

    def edit_weights(edit):
        buf = io.BytesIO(members["model.weights.h5"])
        with h5py.File(buf, "r+") as f:
            edit(f)
        return dict(members, **{"model.weights.h5": buf.getvalue()})

    def rename(f):
        f["layers/dense/vars"].attrs["name"] = "another_dense"

    def extra(f):
        v = f.create_group("layers/dense_1/vars")
        v.attrs["name"] = "dense_1"
        v.create_dataset("0", data=np.zeros((2, 2), np.float32))

    zip_variant("vars_name.keras", edit_weights(rename))
    zip_variant("unrequested.keras", edit_weights(extra))
    zip_variant("missing_member.keras", {n: d for n, d in members.items() if n != "model.weights.h5"})
    # A flipped byte inside the stored config.json: the member's CRC no longer matches.
    zip_variant("corrupt_member.keras", members)
    data = bytearray((OUT / "err_corrupt_member.keras").read_bytes())
    at = data.find(b'"Sequential"')
    data[at + 1] ^= 0x20
    (OUT / "err_corrupt_member.keras").write_bytes(bytes(data))
    (OUT / "err_not_a_model.txt").write_text("hello, not a model\n")


def main():
    OUT.mkdir(exist_ok=True)
    entries = []

    def add(file, case, config=None, semantics="from_file"):
        e = {"file": file, "case": case, "semantics": semantics}
        if config:
            e["config"] = config
        entries.append(e)

    for case in ["seq_rnn_dense", "seq_stacked", "seq_embedding", "seq_masking", "bidi_concat", "bidi_sum",
                 "bidi_masked_seq_ave", "func_multi_io", "func_concat_time"]:
        topology, weights = load_tfjs(case)
        add(write_tf2(case, topology, weights), case)
        w, c = write_k21(case, topology, weights)
        add(w, case, c)
        add(write_k3_h5(case, topology, weights), case)
        add(write_keras(case, topology, weights), case)
    for case in ["seq_rnn_dense", "seq_embedding", "seq_masking", "bidi_concat", "bidi_masked_seq_sum"]:
        topology, weights = load_tfjs(case)
        add(write_k1(case, topology, weights), case)
    topology, weights = hard_sigmoid_case()
    add(write_keras("k3_hard_sigmoid", topology, weights, "3.12.1"), "k3_hard_sigmoid.expected.json")
    add(write_k3_h5("k3_hard_sigmoid", topology, weights), "k3_hard_sigmoid.expected.json")
    write_error_files()
    (OUT / "cases.json").write_text(json.dumps(entries, indent=1) + "\n")
    print(f"wrote {len(entries)} files to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
