"""PyTorch peer: torch.nn.RNN (tanh, batch_first) with the same weights, inference mode.

    /usr/bin/python3 peer_torch.py B T F U THREADS REPS [DUMP_FILE]
prints median_seconds=<s>; the data formula is peer_common.hpp's."""
import math
import sys
import time

import torch


def pattern(n, salt, scale):
    k = (torch.arange(n, dtype=torch.int64) * 2654435761 + salt * 97) % 2001
    return ((k.to(torch.float64) / 1000.0 - 1.0) * scale).to(torch.float32)


def main():
    B, T, F, U, threads, reps = (int(v) for v in sys.argv[1:7])
    dump = sys.argv[7] if len(sys.argv) > 7 else None
    torch.set_num_threads(threads)
    kernel = pattern(F * U, 1, 0.5 / math.sqrt(F)).reshape(F, U)
    recurrent = pattern(U * U, 2, 0.5 / math.sqrt(U)).reshape(U, U)
    bias = pattern(U, 3, 0.1)
    x = pattern(B * T * F, 4, 1.0).reshape(B, T, F)
    rnn = torch.nn.RNN(F, U, nonlinearity="tanh", batch_first=True)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(kernel.t())
        rnn.weight_hh_l0.copy_(recurrent.t())
        rnn.bias_ih_l0.copy_(bias)
        rnn.bias_hh_l0.zero_()
    with torch.inference_mode():
        out, _ = rnn(x)
        seconds = []
        for _ in range(reps):
            t0 = time.perf_counter()
            out, _ = rnn(x)
            seconds.append(time.perf_counter() - t0)
    seconds.sort()
    print("median_seconds=%.9g" % seconds[len(seconds) // 2])
    if dump:
        with open(dump, "wb") as f:
            f.write(out[:, -1, :].contiguous().numpy().astype("float32").tobytes())


if __name__ == "__main__":
    main()
