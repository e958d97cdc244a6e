#!/usr/bin/python3
"""elman vs oneDNN, PyTorch, OpenBLAS and ONNX Runtime on the issue-5 shapes, measured interleaved in one run.

    /usr/bin/python3 tools/bench/compare.py [--rounds 3] [--shapes S1,S3] [--threads 1,2] [--skip-install]
                                            [--isa avx2]

Installs the peers from Debian (libdnnl-dev, python3-torch, libopenblas-dev) and ONNX Runtime from npm
(onnxruntime-node and protobufjs as pinned by package-lock.json here, `npm ci --ignore-scripts` into
build-perf-compare/node/: the package's install script only fetches GPU binaries, its CPU library is in the
tarball), builds the peer programs of this directory with -O3 -march=native into build-perf-compare/, measures
this machine's FMA peak (fma_peak.cpp), checks once per shape and thread count that every peer computes the
same outputs as elman (same weights and inputs from one formula, last-timestep outputs within 1e-4), then runs
ROUNDS rounds in which every program is run once per shape and thread count, in rotating order, each reporting
the median of its own timed calls.
The table shows the median over rounds. OpenBLAS-based peers (OpenBLAS, PyTorch) run twice: with
OPENBLAS_CORETYPE=Haswell (this machine's preset: AVX2 kernels) and with OPENBLAS_CORETYPE=SkylakeX (AVX-512).
ONNX Runtime runs one ONNX `RNN` node (peer_onnxruntime.js) in Node on its CPU execution provider.
Subnormals: every peer computes with IEEE subnormals (no FTZ/DAZ); see docs/performance.md.

--isa avx2 measures what an AVX2-only machine would see, on this one: the C++ peers and fma_peak are built with
-march=x86-64-v3 (AVX2 + FMA, what -march=native gives on such a machine) into BUILD_DIR/avx2/, elman runs with
ELMAN_ISA=avx2, oneDNN with ONEDNN_MAX_CPU_ISA=AVX2, OpenBLAS and PyTorch with OPENBLAS_CORETYPE=Haswell only
(PyTorch also with ATEN_CPU_CAPABILITY=avx2). ONNX Runtime has no setting that caps its instruction set: it
runs as usual, labelled "ONNX Runtime[own ISA]", and still counts as a peer.
Uses only the Python standard library."""
import argparse
import json
import os
import platform
import shutil
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SHAPES = {  # B T F U
    "S1": (1, 1, 16, 32),
    "S2": (1, 100, 32, 64),
    "S3": (32, 50, 64, 128),
    "S4": (64, 100, 256, 256),
    "S5": (256, 100, 256, 512),
    "S6": (16, 200, 128, 1024),
}
DEBIAN_PACKAGES = ["libdnnl-dev", "python3-torch", "libopenblas-dev", "libeigen3-dev", "g++"]


def sh(cmd, env=None, check=True, cwd=None):
    r = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and r.returncode != 0:
        sys.exit("command failed: %s\n%s%s" % (" ".join(cmd), r.stdout, r.stderr))
    return r


def install(build_dir):
    missing = [p for p in DEBIAN_PACKAGES if subprocess.run(["dpkg", "-s", p], stdout=subprocess.DEVNULL,
                                                            stderr=subprocess.DEVNULL).returncode != 0]
    if missing:
        apt = ["apt-get", "install", "-y", "-o", "DPkg::Lock::Timeout=900"] + missing
        if subprocess.run(apt).returncode != 0:
            sh(["apt-get", "update"])
            sh(apt)
    install_node_packages(build_dir)


def node_modules(build_dir):
    return os.path.join(build_dir, "node", "node_modules")


def install_node_packages(build_dir):
    """`npm ci --ignore-scripts` of package.json / package-lock.json into BUILD_DIR/node, unless already done for
    this lock file."""
    if shutil.which("npm") is None:
        sys.exit("compare.py: ONNX Runtime runs in Node: install Debian's nodejs and npm packages")
    target = os.path.join(build_dir, "node")
    os.makedirs(target, exist_ok=True)
    with open(os.path.join(HERE, "package-lock.json")) as f:
        lock = f.read()
    stamp = os.path.join(target, "installed-package-lock.json")
    if os.path.isfile(stamp) and os.path.isdir(node_modules(build_dir)):
        with open(stamp) as f:
            if f.read() == lock:
                return
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(os.path.join(HERE, name), os.path.join(target, name))
    sh(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=target)
    with open(stamp, "w") as f:
        f.write(lock)


def build(out, march):
    os.makedirs(out, exist_ok=True)
    cxx = os.environ.get("CXX", "g++")
    common = [cxx, "-std=c++17", "-O3", "-march=" + march, "-DNDEBUG", "-I" + HERE]
    eigen = ["-isystem", "/usr/include/eigen3"]
    blas_inc = "/usr/include/x86_64-linux-gnu/openblas-pthread"
    targets = {
        "peer_elman": common + ["-I" + os.path.join(ROOT, "include")] + eigen + ["-pthread"],
        "peer_onednn": common + ["-ldnnl"],
        "peer_openblas": common + eigen + ["-I" + blas_inc, "-lopenblas"],
        "fma_peak": [cxx, "-std=c++17", "-O2", "-march=" + march, "-pthread"],
    }
    for name, flags in targets.items():
        src = os.path.join(HERE, name + ".cpp")
        exe = os.path.join(out, name)
        # Libraries must follow the source on the command line.
        libs = [f for f in flags if f.startswith("-l")]
        sh([f for f in flags if not f.startswith("-l")] + [src, "-o", exe] + libs)
    return {n: os.path.join(out, n) for n in targets}


def peers(exes, threads, shape_name, build_dir, isa):
    """(label, command prefix, environment) for every program of one shape and thread count."""
    base = dict(os.environ)
    base.pop("OPENBLAS_NUM_THREADS", None)
    for name in ("ELMAN_ISA", "ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA", "ATEN_CPU_CAPABILITY"):
        base.pop(name, None)
    avx2 = isa == "avx2"
    out = []

    def env(**kv):
        e = dict(base)
        e.update(kv)
        return e

    elman_env = {"ELMAN_ISA": "avx2"} if avx2 else {}
    out.append(("elman", [exes["peer_elman"]], env(**elman_env)))
    if shape_name == "S1":
        out.append(("elman step", [exes["peer_elman"]], env(PEER_STREAM="1", **elman_env)))
    if threads == 1:
        out.append(("elman gemm", [exes["peer_elman"]], env(PEER_BACKEND="gemm", **elman_env)))
    onednn_env = {"ONEDNN_MAX_CPU_ISA": "AVX2"} if avx2 else {}
    out.append(("oneDNN", [exes["peer_onednn"]], env(OMP_NUM_THREADS=str(threads), **onednn_env)))
    torch_env = {"ATEN_CPU_CAPABILITY": "avx2"} if avx2 else {}
    for core in ("Haswell",) if avx2 else ("Haswell", "SkylakeX"):
        out.append(("OpenBLAS[%s]" % core, [exes["peer_openblas"]], env(OPENBLAS_CORETYPE=core)))
        out.append(("PyTorch[%s]" % core, ["/usr/bin/python3", os.path.join(HERE, "peer_torch.py")],
                    env(OPENBLAS_CORETYPE=core, OMP_NUM_THREADS=str(threads), **torch_env)))
    out.append(("ONNX Runtime[own ISA]" if avx2 else "ONNX Runtime", ["node", os.path.join(HERE, "peer_onnxruntime.js")],
                env(NODE_PATH=node_modules(build_dir))))
    return out


def run_peer(cmd, env, args):
    r = sh(cmd + [str(a) for a in args], env=env)
    for line in r.stdout.splitlines():
        if line.startswith("median_seconds="):
            return float(line.split("=", 1)[1])
    sys.exit("no timing from %s:\n%s%s" % (" ".join(cmd), r.stdout, r.stderr))


def read_floats(path):
    with open(path, "rb") as f:
        data = f.read()
    return struct.unpack("%df" % (len(data) // 4), data)


def fma_peak(exe, threads):
    best = 0.0
    isa = "?"
    for _ in range(3):
        line = sh([exe, str(threads)]).stdout.strip()
        fields = dict(kv.split("=") for kv in line.split())
        best = max(best, float(fields["gflops"]))
        isa = fields["isa"]
    return best, isa


def median(values):
    v = sorted(values)
    n = len(v)
    return v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--shapes", default=",".join(SHAPES))
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build-perf-compare"))
    ap.add_argument("--skip-install", action="store_true")
    ap.add_argument("--isa", choices=["native", "avx2"], default="native",
                    help="avx2: every peer held to AVX2 + FMA where it can be (see above)")
    opts = ap.parse_args()
    if not opts.skip_install:
        install(opts.build_dir)
    if opts.isa == "avx2":
        exes = build(os.path.join(opts.build_dir, "avx2"), "x86-64-v3")
    else:
        exes = build(opts.build_dir, "native")
    thread_counts = [int(t) for t in opts.threads.split(",")]
    shapes = [s for s in opts.shapes.split(",")]

    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    print("machine: %s, %d CPUs, %s; load average %s" % (cpu, os.cpu_count(), platform.platform(),
                                                         " ".join("%.2f" % x for x in os.getloadavg())))
    print("OPENBLAS_CORETYPE in the environment: %s" % os.environ.get("OPENBLAS_CORETYPE", "(unset)"))
    print("instruction sets: %s" % ("held to AVX2 + FMA (--isa avx2)" if opts.isa == "avx2" else "native"))
    peaks = {}
    for t in thread_counts:
        peaks[t], isa = fma_peak(exes["fma_peak"], t)
        print("measured FMA peak, %d thread(s): %.1f GFLOP/s (%s, float32)" % (t, peaks[t], isa))

    results = {}
    for name in shapes:
        B, T, F, U = SHAPES[name]
        flops = 2.0 * B * T * U * (F + U)
        # Enough timed calls per process for ~0.2 s of work at 50 GFLOP/s, at least 3.
        reps = max(3, min(2000, int(0.2 / (flops / 50e9))))
        for t in thread_counts:
            progs = peers(exes, t, name, opts.build_dir, opts.isa)
            args = [B, T, F, U, t, reps]
            # Correctness: each program's last-timestep outputs against elman's.
            ref_path = os.path.join(opts.build_dir, "ref.bin")
            run_peer(progs[0][1], progs[0][2], args[:5] + [1, ref_path])
            ref = read_floats(ref_path)
            for label, cmd, env in progs[1:]:
                path = os.path.join(opts.build_dir, "peer.bin")
                run_peer(cmd, env, args[:5] + [1, path])
                got = read_floats(path)
                err = max(abs(a - b) / max(1.0, abs(b)) for a, b in zip(got, ref)) if len(got) == len(ref) else 1e9
                if err > 1e-4:
                    sys.exit("%s %s threads=%d: outputs differ from elman's (max relative error %g)" % (label, name, t, err))
            times = {label: [] for label, _, _ in progs}
            for r in range(opts.rounds):
                order = progs[r % len(progs):] + progs[:r % len(progs)]
                for label, cmd, env in order:
                    times[label].append(run_peer(cmd, env, args))
            results[(name, t)] = {label: median(v) for label, v in times.items()}
            print("%s threads=%d: %s" % (name, t, ", ".join("%s %.4g us" % (k, v * 1e6)
                                                           for k, v in results[(name, t)].items())), flush=True)

    # The table.
    labels = []
    for res in results.values():
        for k in res:
            if k not in labels:
                labels.append(k)
    peer_labels = [k for k in labels if not k.startswith("elman")]
    print()
    # The FMA peak again at the end (the best of both measurements counts): the machine may be shared.
    for t in thread_counts:
        peaks[t] = max(peaks[t], fma_peak(exes["fma_peak"], t)[0])
        print("measured FMA peak, %d thread(s), best of start and end: %.1f GFLOP/s" % (t, peaks[t]))
    print("load average at the end: %s" % " ".join("%.2f" % x for x in os.getloadavg()))
    print()
    print("| shape | threads | ours (us) | ours GFLOP/s | % of FMA peak | best peer | best peer (us) | ratio ours/best | "
          + " | ".join("%s (us)" % k for k in labels) + " |")
    print("|" + "---|" * (8 + len(labels)))
    for (name, t), res in results.items():
        B, T, F, U = SHAPES[name]
        flops = 2.0 * B * T * U * (F + U)
        ours_label = "elman step" if name == "S1" else "elman"
        ours = res[ours_label]
        best = min(peer_labels, key=lambda k: res.get(k, float("inf")))
        gflops = flops / ours * 1e-9
        cells = ["%.4g" % (res[k] * 1e6) if k in res else "-" for k in labels]
        print("| %s%s | %d | %.4g | %.1f | %.0f%% | %s | %.4g | %.2f | %s |" % (
            name, " (step)" if name == "S1" else "", t, ours * 1e6, gflops, 100.0 * gflops / peaks[t], best,
            res[best] * 1e6, ours / res[best], " | ".join(cells)))
    json_name = "compare.json" if opts.isa == "native" else "compare-%s.json" % opts.isa
    with open(os.path.join(opts.build_dir, json_name), "w") as f:
        json.dump({"peaks": peaks, "results": {"%s/%d" % k: v for k, v in results.items()}}, f, indent=1)


if __name__ == "__main__":
    main()
