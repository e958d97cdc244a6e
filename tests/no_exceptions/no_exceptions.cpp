// Built with -fno-exceptions: SimpleRNNStream and SimpleRNN calls work, and a detected error goes through the
// ELMAN_THROW override point (here: print the message, exit with status 3).
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {
[[noreturn]] void handle(const char* message) {
    std::printf("handled: %s\n", message);
    std::fflush(stdout);
    std::_Exit(3);
}
}  // namespace
#define ELMAN_THROW(exception) handle((exception).what())

#include <elman/stream.hpp>

#include <cmath>

int main(int argc, char** argv) {
    elman::SimpleRNNOptions o;
    o.name = "rnn";
    o.return_sequences = true;
    elman::SimpleRNN<double> layer(3, o);
    const elman::Tensor<double> kernel({2, 3}, {0.1, -0.2, 0.3, 0.4, 0.5, -0.6});
    const elman::Tensor<double> recurrent({3, 3}, {0.2, 0.0, -0.1, 0.3, 0.1, 0.0, -0.2, 0.4, 0.1});
    const elman::Tensor<double> bias({3}, {0.05, -0.05, 0.1});
    layer.set_weights(std::vector<elman::Tensor<double>>{kernel, recurrent, bias});
    if (argc > 1 && std::strcmp(argv[1], "bad-batch") == 0) {
        elman::SimpleRNNStream<double> refused(layer, 0);  // must reach handle()
        return 0;
    }
    const elman::Tensor<double> x({1, 4, 2}, {1.0, -1.0, 0.5, 0.25, -0.75, 2.0, 0.0, 1.5});
    const auto sequence = layer(x).output;
    elman::SimpleRNNStream<double> stream(layer);
    int failures = 0;
    double h[3] = {0, 0, 0};
    for (int t = 0; t < 4; ++t) {
        const auto out = stream.step(x.data() + 2 * t);
        // The recurrence written out: h = tanh(x W + b + h U).
        double next[3];
        for (int u = 0; u < 3; ++u) {
            double z = bias.data()[u];
            for (int f = 0; f < 2; ++f) z += x.data()[2 * t + f] * kernel.data()[f * 3 + u];
            for (int k = 0; k < 3; ++k) z += h[k] * recurrent.data()[k * 3 + u];
            next[u] = std::tanh(z);
        }
        for (int u = 0; u < 3; ++u) {
            h[u] = next[u];
            if (std::fabs(out(0, u) - h[u]) > 1e-12 || std::fabs(sequence.data()[t * 3 + u] - h[u]) > 1e-12) {
                std::printf("step %d unit %d: stream %.17g, call %.17g, reference %.17g\n", t, u, out(0, u),
                            sequence.data()[t * 3 + u], h[u]);
                ++failures;
            }
        }
    }
    std::printf("%s\n", failures == 0 ? "no-exceptions build: stream and call match the reference" : "FAILED");
    return failures == 0 ? 0 : 1;
}
