#!/usr/bin/python3
"""Writes the hostile files of tests/test_io_hostile.cpp: small files that try to make a loader read outside
the file, allocate far more than the file holds, or spend quadratic time. Uses Debian's python3-h5py,
python3-numpy and the standard zipfile / zlib modules.

Default: the small files under tests/data/io/hostile/ (committed). The large ones (megabytes: 160k .npz
members, 120k layer names, a deflate bomb, a member claiming 3 GiB, a 1 MiB shard listed 2100 times) are
built by the C++ test at run time instead; `--large DIR` writes them to DIR as well, for measuring a loader
by hand (e.g. /usr/bin/time -v on a small program that loads each one).

Usage: /usr/bin/python3 tools/io_fixtures/make_hostile_files.py [--large DIR]
"""
import argparse
import io
import json
import os
import shutil
import struct
import zipfile
import zlib

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.normpath(os.path.join(HERE, "..", "..", "tests", "data", "io"))
OUT = os.path.join(DATA, "hostile")
TFJS_MODEL = os.path.join(DATA, "tfjs", "tanh_sequences")

LAYER = "simple_rnn"
NAMES = [f"{LAYER}/{LAYER}_cell/{role}:0" for role in ("kernel", "recurrent_kernel", "bias")]
FEATURES, UNITS = 3, 4


def keras_weights_file(path, kernel=None, **kernel_args):
    """A Keras `save_weights` layout (as tools/io_fixtures/make_keras_files.py writes it) whose kernel dataset is
    made by `kernel(group, name)` or h5py's create_dataset(**kernel_args)."""
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = np.array([LAYER.encode()])
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.4.0"
        g = f.create_group(LAYER)
        g.attrs["weight_names"] = np.array([n.encode() for n in NAMES])
        if kernel:
            kernel(f, g, NAMES[0])
        else:
            g.create_dataset(NAMES[0], **kernel_args)
        g.create_dataset(NAMES[1], data=np.zeros((UNITS, UNITS), np.float32))
        g.create_dataset(NAMES[2], data=np.zeros((UNITS,), np.float32))


def write_h5_files():
    # A few KB declaring 1 GiB (float32) and 2 GiB (float64): chunks that were never written read as fill values.
    keras_weights_file(os.path.join(OUT, "h5_huge_chunked_f32.h5"), shape=(1 << 14, 1 << 14), dtype="<f4",
                       chunks=(1024, 1024))
    keras_weights_file(os.path.join(OUT, "h5_huge_chunked_f64.h5"), shape=(1 << 14, 1 << 14), dtype="<f8",
                       chunks=(1024, 1024))
    # The kernel's bytes are the first 48 of /etc/passwd (external storage with an absolute path).
    keras_weights_file(os.path.join(OUT, "h5_external_storage.h5"), shape=(FEATURES, UNITS), dtype="<f4",
                       external=[("/etc/passwd", 0, FEATURES * UNITS * 4)])
    # A file the links below point at, holding a kernel of the right shape.
    with h5py.File(os.path.join(OUT, "h5_link_target.h5"), "w") as f:
        f.create_dataset("kernel", data=np.full((FEATURES, UNITS), 7, np.float32))

    def external_link(f, g, name):
        g[name] = h5py.ExternalLink("h5_link_target.h5", "/kernel")

    def soft_to_external(f, g, name):
        f["outside"] = h5py.ExternalLink("h5_link_target.h5", "/kernel")
        g[name] = h5py.SoftLink("/outside")

    def virtual(f, g, name):
        layout = h5py.VirtualLayout(shape=(FEATURES, UNITS), dtype="<f4")
        layout[:] = h5py.VirtualSource("h5_link_target.h5", "kernel", shape=(FEATURES, UNITS))
        g.create_virtual_dataset(name, layout, fillvalue=0)

    keras_weights_file(os.path.join(OUT, "h5_external_link.h5"), kernel=external_link)
    keras_weights_file(os.path.join(OUT, "h5_soft_to_external_link.h5"), kernel=soft_to_external)
    keras_weights_file(os.path.join(OUT, "h5_virtual.h5"), kernel=virtual)
    # LZF is h5py's own filter (id 32000): libhdf5 would look for it among the dynamically loaded plugins.
    keras_weights_file(os.path.join(OUT, "h5_plugin_filter.h5"), data=np.zeros((FEATURES, UNITS), np.float32),
                       compression="lzf")


def write_tfjs_repeated_shard(folder, shard_bytes=None, repeats=2100):
    """tanh_sequences' model.json with its one shard listed `repeats` times (optionally padded to shard_bytes)."""
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(TFJS_MODEL, "model.json")) as f:
        model = json.load(f)
    model["weightsManifest"][0]["paths"] = ["weights.bin"] * repeats
    with open(os.path.join(folder, "model.json"), "w") as f:
        json.dump(model, f, separators=(",", ":"))
    shutil.copyfile(os.path.join(TFJS_MODEL, "weights.bin"), os.path.join(folder, "weights.bin"))
    if shard_bytes:
        with open(os.path.join(folder, "weights.bin"), "r+b") as f:
            f.truncate(shard_bytes)


def npy_header(shape, descr="<f4"):
    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(out, {"descr": descr, "fortran_order": False, "shape": shape})
    return out.getvalue()


def zip_with_raw_member(path, name, raw, claimed_size, crc):
    """A one-member ZIP (deflate) whose directory claims `claimed_size` bytes, with `raw` as the deflate data."""
    name = name.encode()
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(raw), claimed_size, len(name), 0)
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(raw), claimed_size,
                          len(name), 0, 0, 0, 0, 0, 0)
    body = local + name + raw
    directory = central + name
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(directory), len(body), 0)
    with open(path, "wb") as f:
        f.write(body + directory + end)


def write_large(out):
    os.makedirs(out, exist_ok=True)
    tiny = np.zeros((1,), np.float32)
    with zipfile.ZipFile(os.path.join(out, "npz_160k_members.npz"), "w") as z:
        for i in range(160000):
            buf = io.BytesIO()
            np.save(buf, tiny)
            z.writestr(f"arr_{i}.npy", buf.getvalue())
    # 3 MiB of deflate data whose stream ends after 16 bytes, under a directory entry claiming 3 GiB.
    stream = zlib.compressobj(9, zlib.DEFLATED, -15)
    raw = stream.compress(b"\0" * 16) + stream.flush()
    zip_with_raw_member(os.path.join(out, "npz_claims_3gib.npz"), "arr_0.npy", raw + b"\0" * (3 << 20), 3 << 30,
                        zlib.crc32(b"\0" * 16))
    # 1 MiB of deflate that inflates to a 1 GiB float32 array (within zlib's 1032:1, over the default cap).
    header = npy_header((1 << 28,))
    stream = zlib.compressobj(9, zlib.DEFLATED, -15)
    parts, crc, block = [stream.compress(header)], zlib.crc32(header), b"\0" * (1 << 20)
    for _ in range(1024):
        parts.append(stream.compress(block))
        crc = zlib.crc32(block, crc)
    parts.append(stream.flush())
    zip_with_raw_member(os.path.join(out, "npz_deflate_bomb.npz"), "arr_0.npy", b"".join(parts),
                        len(header) + (1 << 30), crc)
    write_tfjs_repeated_shard(os.path.join(out, "tfjs_repeated_shard_1mib"), shard_bytes=1 << 20)
    # 120k layer names in Keras' chunked attributes (layer_names0, layer_names1, ...), none of them a group.
    with h5py.File(os.path.join(out, "h5_120k_layer_names.h5"), "w") as f:
        names = [f"layer_{i}".encode() for i in range(120000)]
        for chunk, start in enumerate(range(0, len(names), 5000)):
            f.attrs[f"layer_names{chunk}"] = np.array(names[start:start + 5000])
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.4.0"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", metavar="DIR", help="also write the large hostile files to DIR")
    args = parser.parse_args()
    os.makedirs(OUT, exist_ok=True)
    write_h5_files()
    write_tfjs_repeated_shard(os.path.join(OUT, "tfjs_repeated_shard"))
    if args.large:
        write_large(args.large)


if __name__ == "__main__":
    main()
