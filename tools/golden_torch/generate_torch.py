#!/usr/bin/python3
"""Float64 golden cases for the Keras SimpleRNN forward pass, computed with PyTorch.

Writes tests/data/golden_torch_f64.json (path relative to the repository root).

Reference: docs/keras-semantics.md, sections #cell, #forward-loop and #call. Per processing step p
(source index s(p) = p, or T-1-p with go_backwards) Keras computes

    c_p = act(x_{s(p)} . W + b + h_{p-1} . U)
    h_p = mask[s(p)] ? c_p : h_{p-1}
    y_p = mask[s(p)] ? c_p : y_{p-1}          (y_{-1} = 0, h_{-1} = initial_state or 0)

torch.nn.RNN (float64, batch_first) computes the same recurrence with
    W = weight_ih_l0.T  [F,U],  U = weight_hh_l0.T  [U,U],  b = bias_ih_l0 (bias_hh_l0 = 0).

How the Keras options are emulated with torch:
  * go_backwards: torch is fed the time-flipped input. Keras returns the sequence in processing
    order (not reversed back), which is exactly torch's output sequence.
  * initial_state: h_{-1} in processing order = torch h0.
  * masks: only trailing masks in processing order (sample b valid for processing steps
    0..L_b-1, L_b >= 1), run through pack_padded_sequence(enforce_sorted=False). torch's
    pad_packed_sequence pads with zeros; Keras repeats the last valid output there, so padded
    positions are overwritten with the output of step L_b-1. The final state is torch's h_n.
    The mask is written in SOURCE order as Keras receives it: with go_backwards the valid
    steps are the last L_b source steps (the padding is leading in source order).

Every case is cross-checked against an independent numpy float64 loop of the Keras recurrence
(general select-based masking, explicit s(p) indexing); the script aborts if they differ by more
than 1e-12 (relative to max(1, |reference|)).

Deterministic: each case draws from its own numpy Generator (fixed seed), torch runs single
threaded with deterministic algorithms, numbers are written with repr(float) (shortest round
trip). Running twice gives a byte-identical file.

Usage (Debian 12):
    apt-get install python3-torch python3-numpy
    /usr/bin/python3 tools/golden_torch/generate_torch.py [--out PATH]
"""

import argparse
import os
import platform
import sys

import numpy as np
import torch

SCRIPT = "tools/golden_torch/generate_torch.py"
TOL = 1e-12

# ----------------------------------------------------------------------------------------------
# Numbers and JSON
# ----------------------------------------------------------------------------------------------


def tensor(a, integer=False):
    """{"shape": [...], "data": [row-major flat]} from a numpy array."""
    a = np.asarray(a)
    flat = a.reshape(-1)
    if integer:
        data = [int(v) for v in flat]
    else:
        data = [float(v) for v in flat]
    return {"shape": [int(d) for d in a.shape], "data": data}


def _num(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            raise ValueError("non-finite number in golden data")
        return repr(v)
    raise TypeError(type(v))


def _str(s):
    import json

    return json.dumps(s, ensure_ascii=True)


def dump(obj, ind=0):
    """JSON with indented structure and one-line tensors (keeps the file small and diffable)."""
    pad = "  " * ind
    pad1 = "  " * (ind + 1)
    if obj is None:
        return "null"
    if isinstance(obj, str):
        return _str(obj)
    if isinstance(obj, (bool, int, float)):
        return _num(obj)
    if isinstance(obj, dict):
        if set(obj.keys()) == {"shape", "data"}:
            shape = ",".join(str(d) for d in obj["shape"])
            data = ",".join(_num(v) for v in obj["data"])
            return '{"shape":[%s],"data":[%s]}' % (shape, data)
        if not obj:
            return "{}"
        items = ["%s%s: %s" % (pad1, _str(k), dump(v, ind + 1)) for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, (list, tuple)):
        if not obj:
            return "[]"
        if all(isinstance(v, (bool, int, float)) for v in obj):
            return "[" + ",".join(_num(v) for v in obj) + "]"
        items = [pad1 + dump(v, ind + 1) for v in obj]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    raise TypeError(type(obj))


# ----------------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------------


def uni(rng, shape):
    """U[-1, 1) float64."""
    return rng.random(shape) * 2.0 - 1.0


def spectral_radius(m):
    return float(np.max(np.abs(np.linalg.eigvals(m))))


def make_weights(rng, F, U, activation, use_bias, rec_scale=None):
    """Kernel/recurrent/bias drawn from U[-1,1) and rescaled.

    kernel * sqrt(3/F): x.W has variance ~1/3 for x ~ U[-1,1).
    tanh: recurrent rescaled to spectral radius rec_scale (default 0.9).
    relu: recurrent rescaled to spectral norm rec_scale (default 0.5) -> contractive, bounded.
    bias * 0.5.
    """
    kernel = uni(rng, (F, U)) * np.sqrt(3.0 / F)
    rec = uni(rng, (U, U))
    if activation == "tanh":
        target = 0.9 if rec_scale is None else rec_scale
        rec = rec * (target / spectral_radius(rec))
    else:
        target = 0.5 if rec_scale is None else rec_scale
        rec = rec * (target / float(np.linalg.norm(rec, 2)))
    bias = uni(rng, (U,)) * 0.5 if use_bias else None
    return kernel, rec, bias


# ----------------------------------------------------------------------------------------------
# The two implementations
# ----------------------------------------------------------------------------------------------


def run_torch(x, kernel, rec, bias, activation, go_backwards, h0, lengths):
    """Keras-semantics forward pass via torch.nn.RNN.

    x [B,T,F] in source order; lengths: None or per-sample valid prefix in processing order.
    Returns (sequence [B,T,U] in processing order, final state [B,U]) as numpy float64.
    """
    B, T, F = x.shape
    U = kernel.shape[1]
    rnn = torch.nn.RNN(
        input_size=F,
        hidden_size=U,
        num_layers=1,
        nonlinearity=activation,
        bias=bias is not None,
        batch_first=True,
        dtype=torch.float64,
    )
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.from_numpy(np.ascontiguousarray(kernel.T)))
        rnn.weight_hh_l0.copy_(torch.from_numpy(np.ascontiguousarray(rec.T)))
        if bias is not None:
            rnn.bias_ih_l0.copy_(torch.from_numpy(bias))
            rnn.bias_hh_l0.zero_()
    xp = x[:, ::-1, :] if go_backwards else x  # processing order
    xt = torch.from_numpy(np.array(xp, dtype=np.float64, order="C", copy=True))
    ht = None if h0 is None else torch.from_numpy(np.array(h0, order="C", copy=True)).unsqueeze(0)
    with torch.no_grad():
        if lengths is None:
            out, hn = rnn(xt, ht)
            seq = out.numpy().copy()
        else:
            packed = torch.nn.utils.rnn.pack_padded_sequence(
                xt, torch.tensor(lengths, dtype=torch.int64), batch_first=True, enforce_sorted=False
            )
            pout, hn = rnn(packed, ht)
            out, out_len = torch.nn.utils.rnn.pad_packed_sequence(
                pout, batch_first=True, total_length=T
            )
            seq = out.numpy().copy()
            assert list(out_len.tolist()) == list(lengths)
            # torch pads with zeros; Keras repeats the last valid output at masked steps.
            for b, L in enumerate(lengths):
                seq[b, L:, :] = seq[b, L - 1, :]
    state = hn[0].numpy().copy()
    return seq, state


def run_numpy(x, kernel, rec, bias, activation, go_backwards, h0, mask):
    """Independent float64 loop of the Keras recurrence (docs/keras-semantics.md#forward-loop), mask in source order."""
    B, T, F = x.shape
    U = kernel.shape[1]
    h = np.zeros((B, U)) if h0 is None else h0.copy()
    y = np.zeros((B, U))
    seq = np.zeros((B, T, U))
    for p in range(T):
        s = T - 1 - p if go_backwards else p
        z = x[:, s, :] @ kernel
        if bias is not None:
            z = z + bias
        z = z + h @ rec
        c = np.tanh(z) if activation == "tanh" else np.maximum(z, 0.0)
        m = np.ones((B, 1), dtype=bool) if mask is None else (mask[:, s] != 0)[:, None]
        h = np.where(m, c, h)
        y = np.where(m, c, y)
        seq[:, p, :] = y
    return seq, h


# ----------------------------------------------------------------------------------------------
# Cases
# ----------------------------------------------------------------------------------------------

MAX_DIFF = [0.0]


def build_case(name, seed, *args, **kwargs):
    """_build_case, redrawn with a derived seed while the output is identically zero.

    A relu case whose output is all zeros (e.g. B=T=F=U=1 with a negative pre-activation) tests
    almost nothing; the redraw is deterministic (seed + 100000 * attempt).
    """
    for attempt in range(20):
        case = _build_case(name, seed + 100000 * attempt, *args, **kwargs)
        step = case["steps"][0]
        if any(v != 0.0 for v in step["expected_output"]["data"]):
            return case
    raise RuntimeError("%s: output identically zero for every seed tried" % name)


def _build_case(
    name,
    seed,
    B,
    T,
    F,
    U,
    activation,
    use_bias,
    return_sequences,
    return_state,
    go_backwards,
    with_init,
    lengths=None,
    rec_scale=None,
    note="",
):
    rng = np.random.default_rng(seed)
    kernel, rec, bias = make_weights(rng, F, U, activation, use_bias, rec_scale)
    x = uni(rng, (B, T, F))
    h0 = uni(rng, (B, U)) if with_init else None

    mask = None
    if lengths is not None:
        assert len(lengths) == B and all(1 <= L <= T for L in lengths)
        mask = np.zeros((B, T), dtype=np.int64)
        for b, L in enumerate(lengths):
            if go_backwards:
                mask[b, T - L :] = 1  # processing steps 0..L-1 are source steps T-1..T-L
            else:
                mask[b, :L] = 1

    seq_t, state_t = run_torch(x, kernel, rec, bias, activation, go_backwards, h0, lengths)
    seq_n, state_n = run_numpy(x, kernel, rec, bias, activation, go_backwards, h0, mask)

    scale = max(1.0, float(np.max(np.abs(seq_n))), float(np.max(np.abs(state_n))))
    diff = max(float(np.max(np.abs(seq_t - seq_n))), float(np.max(np.abs(state_t - state_n))))
    MAX_DIFF[0] = max(MAX_DIFF[0], diff)
    assert diff <= TOL * scale, "%s: torch vs numpy differ by %g" % (name, diff)
    assert np.all(np.isfinite(seq_t)) and np.all(np.isfinite(state_t))
    # Keras invariant for a trailing (or absent) mask: last output == final state.
    assert np.array_equal(seq_t[:, -1, :], state_t), name

    expected_output = seq_t if return_sequences else seq_t[:, -1, :]

    full_note = note
    if lengths is not None:
        extra = (
            "Trailing mask in processing order, valid lengths %s. mask is in SOURCE order [B,T] as "
            "Keras receives it%s. torch: pack_padded_sequence(enforce_sorted=False); its zero padding "
            "was replaced by the last valid output (Keras repeats y at masked steps); expected_state "
            "= state after processing step L_b-1."
            % (
                list(lengths),
                " (go_backwards: valid = last L_b source steps, padding leading in source order)"
                if go_backwards
                else "",
            )
        )
        full_note = (full_note + " " + extra).strip()
    if go_backwards:
        full_note = (
            full_note
            + " go_backwards: torch fed the time-flipped input; sequence output in processing order."
        ).strip()

    return {
        "name": name,
        "note": full_note,
        "config": {
            "units": U,
            "activation": activation,
            "use_bias": use_bias,
            "return_sequences": return_sequences,
            "return_state": return_state,
            "go_backwards": go_backwards,
            "stateful": False,
        },
        "weights": {
            "kernel": tensor(kernel),
            "recurrent_kernel": tensor(rec),
            "bias": None if bias is None else tensor(bias),
        },
        "steps": [
            {
                "op": "call",
                "inputs": tensor(x),
                "mask": None if mask is None else tensor(mask, integer=True),
                "initial_state": None if h0 is None else tensor(h0),
                "expected_output": tensor(expected_output),
                "expected_state": tensor(state_t),
            }
        ],
    }


def all_cases():
    cases = []
    seed = [1000]

    def nxt():
        seed[0] += 1
        return seed[0]

    # 1. Full grid: activation x use_bias x return_sequences x go_backwards x initial_state.
    for act in ("tanh", "relu"):
        for use_bias in (True, False):
            for rs in (True, False):
                for gb in (False, True):
                    for init in (False, True):
                        # return_state does not change the numbers; alternate it so both values
                        # appear with every return_sequences value.
                        rstate = bool((int(use_bias) + int(gb) + int(init)) % 2)
                        name = "grid_%s_%s_%s_%s_%s" % (
                            act,
                            "bias" if use_bias else "nobias",
                            "seq" if rs else "last",
                            "bwd" if gb else "fwd",
                            "init" if init else "zero",
                        )
                        cases.append(
                            build_case(
                                name, nxt(), 3, 7, 5, 6, act, use_bias, rs, rstate, gb, init,
                                note="B=3,T=7,F=5,U=6 grid case.",
                            )
                        )

    # 2. Trailing masks (processing order), both activations, both directions.
    for act in ("tanh", "relu"):
        for gb in (False, True):
            for rs in (True, False):
                init = rs  # vary initial_state too
                name = "mask_%s_%s_%s_%s" % (
                    act, "seq" if rs else "last", "bwd" if gb else "fwd", "init" if init else "zero"
                )
                cases.append(
                    build_case(
                        name, nxt(), 3, 7, 5, 6, act, True, rs, True, gb, init,
                        lengths=[7, 3, 1] if rs else [2, 7, 5],
                        note="B=3,T=7,F=5,U=6.",
                    )
                )
    # Masked batch of 4 with a no-bias relu and a tanh long-ish one.
    cases.append(
        build_case(
            "mask_relu_nobias_seq_bwd_init_B4", nxt(), 4, 9, 3, 5, "relu", False, True, True, True,
            True, lengths=[1, 9, 4, 6], note="B=4,T=9,F=3,U=5.",
        )
    )
    cases.append(
        build_case(
            "mask_tanh_nobias_seq_fwd_zero_B4", nxt(), 4, 9, 3, 5, "tanh", False, True, False, False,
            False, lengths=[9, 8, 2, 1], note="B=4,T=9,F=3,U=5.",
        )
    )

    # 3. Shape edges.
    edges = [
        ("units1", 3, 7, 5, 1),
        ("features1", 3, 7, 1, 6),
        ("batch1", 1, 7, 5, 6),
        ("time1", 3, 1, 5, 6),
        ("all1", 1, 1, 1, 1),
    ]
    for label, B, T, F, U in edges:
        for act in ("tanh", "relu"):
            for rs, gb, init in ((True, False, True), (False, True, False)):
                name = "edge_%s_%s_%s_%s_%s" % (
                    label, act, "seq" if rs else "last", "bwd" if gb else "fwd",
                    "init" if init else "zero",
                )
                cases.append(
                    build_case(
                        name, nxt(), B, T, F, U, act, True, rs, not rs, gb, init,
                        note="Shape edge B=%d,T=%d,F=%d,U=%d." % (B, T, F, U),
                    )
                )

    # 4. Long sequences, T=500, B=2, F=4, U=8.
    cases.append(
        build_case(
            "long_tanh_T500_seq_fwd_init", nxt(), 2, 500, 4, 8, "tanh", True, True, True, False, True,
            rec_scale=0.9,
            note="Long sequence B=2,T=500,F=4,U=8; recurrent kernel rescaled to spectral radius 0.9.",
        )
    )
    cases.append(
        build_case(
            "long_tanh_T500_last_bwd_zero", nxt(), 2, 500, 4, 8, "tanh", True, False, True, True, False,
            rec_scale=0.9,
            note="Long sequence B=2,T=500,F=4,U=8; recurrent kernel rescaled to spectral radius 0.9.",
        )
    )
    cases.append(
        build_case(
            "long_relu_T500_seq_fwd_init", nxt(), 2, 500, 4, 8, "relu", True, True, False, False, True,
            rec_scale=0.9,
            note="Long sequence B=2,T=500,F=4,U=8; recurrent kernel rescaled to spectral norm 0.9 "
            "(contractive, so relu stays bounded).",
        )
    )
    cases.append(
        build_case(
            "long_tanh_T500_mask_seq_bwd", nxt(), 2, 500, 4, 8, "tanh", True, True, True, True, True,
            lengths=[500, 321], rec_scale=0.9,
            note="Long sequence B=2,T=500,F=4,U=8; recurrent kernel rescaled to spectral radius 0.9.",
        )
    )

    # 5. Larger case B=8, T=30, F=32, U=64.
    cases.append(
        build_case(
            "large_tanh_B8_T30_F32_U64_seq_fwd_init", nxt(), 8, 30, 32, 64, "tanh", True, True, True,
            False, True, note="Larger case B=8,T=30,F=32,U=64.",
        )
    )
    cases.append(
        build_case(
            "large_relu_B8_T30_F32_U64_last_bwd_zero", nxt(), 8, 30, 32, 64, "relu", True, False, True,
            True, False, note="Larger case B=8,T=30,F=32,U=64.",
        )
    )
    return cases


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(root, "tests", "data", "golden_torch_f64.json"))
    args = ap.parse_args()

    np.random.seed(0)
    torch.manual_seed(0)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    doc = {
        "generator": {
            "script": SCRIPT,
            "python": platform.python_version(),
            "torch": torch.__version__,
            "numpy": np.__version__,
        },
        "dtype": "float64",
        "cases": all_cases(),
    }
    names = [c["name"] for c in doc["cases"]]
    assert len(names) == len(set(names)), "duplicate case names"

    text = dump(doc) + "\n"
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="ascii", newline="\n") as f:
        f.write(text)
    sys.stderr.write(
        "wrote %s: %d cases, %d bytes, max |torch - numpy| = %.3g\n"
        % (args.out, len(names), len(text), MAX_DIFF[0])
    )


if __name__ == "__main__":
    main()
