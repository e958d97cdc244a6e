#!/usr/bin/python3
"""Writes the numpy and Keras-HDF5 fixtures under tests/data/io/ from tests/data/io/expected.json
(the weights tfjs produced, see make_tfjs.mjs), using Debian's python3-numpy and python3-h5py.

The .h5 files reproduce exactly what TF 2.4's keras/saving/hdf5_format.py writes (save_model_to_hdf5 and
save_weights_to_hdf5_group): root attrs keras_version/backend/model_config, group model_weights with
layer_names, one group per layer with weight_names, datasets at <layer>/<weight name>. Layer names are
uniquified ("simple_rnn_1", cell "simple_rnn_cell_1") the way Keras does for a second model in a session,
because loaders must follow weight_names rather than hard-coded paths. TensorFlow itself is not packaged
by Debian, so no file here comes from a real Keras.

Usage: /usr/bin/python3 tools/io_fixtures/make_keras_files.py
"""
import json
import os

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "tests", "data", "io"))

TFJS_ACT = {"hardSigmoid": "hard_sigmoid"}


def keras_layer_config(name, cfg, input_dim):
    """TF 2.4 SimpleRNN.get_config() for the tfjs layer config `cfg` (key order of docs/keras-semantics.md#config)."""
    def init(c):
        return {"class_name": c["class_name"], "config": c["config"]}
    out = {"name": name, "trainable": True, "batch_input_shape": [None, None, input_dim], "dtype": "float32",
           "return_sequences": cfg["return_sequences"], "return_state": False, "go_backwards": cfg["go_backwards"],
           "stateful": False, "unroll": False, "time_major": False, "units": cfg["units"],
           "activation": TFJS_ACT.get(cfg["activation"], cfg["activation"]), "use_bias": cfg["use_bias"],
           "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
           "recurrent_initializer": {"class_name": "Orthogonal", "config": {"gain": 1.0, "seed": None}},
           "bias_initializer": {"class_name": "Zeros", "config": {}},
           "kernel_regularizer": None, "recurrent_regularizer": None, "bias_regularizer": None,
           "activity_regularizer": None, "kernel_constraint": None, "recurrent_constraint": None,
           "bias_constraint": None, "dropout": 0.0, "recurrent_dropout": 0.0}
    return out


def tfjs_configs(model_name):
    with open(os.path.join(OUT, "tfjs", model_name, "model.json")) as f:
        topo = json.load(f)["modelTopology"]
    return [layer["config"] for layer in topo["config"]["layers"]]


def write_keras_h5(path, model, suffix, full_model=True):
    """model.save(path) (full_model) or model.save_weights(path) as TF 2.4 writes them."""
    cfgs = tfjs_configs(model["name"])
    layer_names, keras_layers, groups = [], [], []
    for i, (layer, cfg) in enumerate(zip(model["layers"], cfgs)):
        lname = cfg["name"] + suffix
        cell = "simple_rnn_cell" + suffix + ("" if i == 0 else "_%d" % i)
        w = [np.asarray(t["data"], dtype=np.float32).reshape(t["shape"]) for t in layer["weights"]]
        roles = ["kernel", "recurrent_kernel", "bias"][: len(w)]
        layer_names.append(lname)
        keras_layers.append({"class_name": "SimpleRNN", "config": keras_layer_config(lname, cfg, w[0].shape[0])})
        groups.append((lname, ["%s/%s/%s:0" % (lname, cell, r) for r in roles], w))
    first_dim = groups[0][2][0].shape[0]
    input_layer = {"class_name": "InputLayer", "config": {"batch_input_shape": [None, None, first_dim], "dtype": "float32",
                                                          "sparse": False, "ragged": False, "name": layer_names[0] + "_input"}}
    model_config = {"class_name": "Sequential",
                    "config": {"name": "sequential" + suffix, "layers": [input_layer] + keras_layers}}
    with h5py.File(path, "w") as f:
        if full_model:
            f.attrs["keras_version"] = "2.4.0".encode("utf8")
            f.attrs["backend"] = "tensorflow".encode("utf8")
            f.attrs["model_config"] = json.dumps(model_config, default=str).encode("utf8")
            root = f.create_group("model_weights")
        else:
            root = f
        # Keras passes a list of bytes, which numpy turns into a fixed-length 'S' array.
        root.attrs["layer_names"] = np.array([n.encode("utf8") for n in layer_names])
        root.attrs["backend"] = "tensorflow".encode("utf8")
        root.attrs["keras_version"] = "2.4.0".encode("utf8")
        for lname, names, values in groups:
            g = root.create_group(lname)
            g.attrs["weight_names"] = np.array([n.encode("utf8") for n in names])
            for n, v in zip(names, values):
                ds = g.create_dataset(n, v.shape, dtype=v.dtype)
                if not v.shape:
                    ds[()] = v
                else:
                    ds[:] = v


def npy_header(descr, shape, fortran=False):
    h = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, repr(tuple(shape)))
    h += " " * ((64 - (10 + len(h) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + len(h).to_bytes(2, "little") + h.encode("latin1")


def main():
    with open(os.path.join(OUT, "expected.json")) as f:
        expected = json.load(f)
    os.makedirs(os.path.join(OUT, "npz"), exist_ok=True)
    os.makedirs(os.path.join(OUT, "npy"), exist_ok=True)
    os.makedirs(os.path.join(OUT, "h5"), exist_ok=True)
    os.makedirs(os.path.join(OUT, "bad"), exist_ok=True)
    for model in expected["models"]:
        for layer in model["layers"]:
            w = [np.asarray(t["data"], dtype=np.float32).reshape(t["shape"]) for t in layer["weights"]]
            base = os.path.join(OUT, "npz", "%s__%s" % (model["name"], layer["name"]))
            np.savez(base + ".npz", *w)                      # the documented one-liner
            np.savez_compressed(base + "_compressed.npz", *w)
        write_keras_h5(os.path.join(OUT, "h5", model["name"] + ".h5"), model, "_1", full_model=True)
        write_keras_h5(os.path.join(OUT, "h5", model["name"] + "_weights.h5"), model, "", full_model=False)

    # Named npz and separate .npy files, plus a Fortran-ordered kernel (must load transposed correctly).
    first = expected["models"][0]["layers"][0]
    w = [np.asarray(t["data"], dtype=np.float32).reshape(t["shape"]) for t in first["weights"]]
    np.savez(os.path.join(OUT, "npz", "named.npz"), kernel=w[0], recurrent_kernel=w[1], bias=w[2])
    for n, v in zip(["kernel", "recurrent_kernel", "bias"], w):
        np.save(os.path.join(OUT, "npy", n + ".npy"), v)
    np.save(os.path.join(OUT, "npy", "kernel_fortran.npy"), np.asfortranarray(w[0]))

    # Hostile inputs: each must be rejected with a message naming the file and the problem.
    bad = os.path.join(OUT, "bad")
    np.save(os.path.join(bad, "float64.npy"), w[0].astype(np.float64))
    np.save(os.path.join(bad, "int32.npy"), np.arange(12, dtype=np.int32).reshape(3, 4))
    np.save(os.path.join(bad, "big_endian.npy"), w[0].astype(">f4"))
    with open(os.path.join(bad, "truncated.npy"), "wb") as f:
        f.write(npy_header("<f4", (3, 4)) + w[0].tobytes()[:20])
    with open(os.path.join(bad, "absurd_shape.npy"), "wb") as f:
        f.write(npy_header("<f4", (1 << 30, 1 << 30)) + w[0].tobytes())
    with open(os.path.join(bad, "huge_rank.npy"), "wb") as f:
        f.write(npy_header("<f4", (1, 1, 1, 1, 1, 1)) + b"\0\0\0\0")
    np.savez(os.path.join(bad, "wrong_count.npz"), w[0], w[1], w[2], w[2])
    np.savez(os.path.join(bad, "shape_mismatch.npz"), w[0], w[1][:, :2], w[2])
    good = open(os.path.join(OUT, "npz", "tanh_sequences__simple_rnn.npz"), "rb").read()
    open(os.path.join(bad, "truncated.npz"), "wb").write(good[: len(good) // 2])
    corrupt = bytearray(good)
    corrupt[200] ^= 0xFF
    open(os.path.join(bad, "corrupt_crc.npz"), "wb").write(bytes(corrupt))

    # Hostile Keras files.
    src = os.path.join(OUT, "h5", "tanh_sequences.h5")

    def mutate(name, fn):
        path = os.path.join(bad, name)
        with open(src, "rb") as a, open(path, "wb") as b:
            b.write(a.read())
        with h5py.File(path, "r+") as f:
            fn(f)

    def name_at(g, i):
        n = g.attrs["weight_names"][i]
        return n.decode() if isinstance(n, bytes) else n

    def to_f64(f):
        g = f["model_weights/simple_rnn_1"]
        n = name_at(g, 0)
        v = g[n][()]
        del g[n]
        g.create_dataset(n, data=v.astype(np.float64))

    def drop_bias(f):
        g = f["model_weights/simple_rnn_1"]
        del g[name_at(g, 2)]

    def wrong_shape(f):
        g = f["model_weights/simple_rnn_1"]
        n = name_at(g, 1)
        v = g[n][()]
        del g[n]
        g.create_dataset(n, data=v[:, :3])

    def duplicate_names(f):
        g = f["model_weights/simple_rnn_1"]
        names = list(g.attrs["weight_names"])
        g.attrs["weight_names"] = [names[0], names[0], names[2]]

    def int_weights(f):
        g = f["model_weights/simple_rnn_1"]
        n = name_at(g, 0)
        v = g[n][()]
        del g[n]
        g.create_dataset(n, data=(v * 100).astype(np.int32))

    def bad_config(f):
        f.attrs["model_config"] = b'{"class_name": "Sequential", "config": {"layers": [{"class_name": "SimpleRNN", "config": {"units": 4, '

    mutate("h5_float64.h5", to_f64)
    mutate("h5_missing_dataset.h5", drop_bias)
    mutate("h5_wrong_shape.h5", wrong_shape)
    mutate("h5_duplicate_names.h5", duplicate_names)
    mutate("h5_int_weights.h5", int_weights)
    mutate("h5_bad_config.h5", bad_config)
    data = open(src, "rb").read()
    open(os.path.join(bad, "h5_truncated.h5"), "wb").write(data[: len(data) // 2])


if __name__ == "__main__":
    main()
