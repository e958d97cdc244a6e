// elman's SimpleRNN (packed backend unless PEER_BACKEND=gemm; PEER_STREAM=1 times SimpleRNNStream::step, T=1).
#include "peer_common.hpp"

#include <elman/elman.hpp>
#include <elman/stream.hpp>

int main(int argc, char** argv) {
    const auto a = peer::parse(argc, argv);
    const peer::Problem p(a);
    elman::SimpleRNNOptions o;
    o.return_sequences = true;
    elman::SimpleRNN<float> layer(a.U, o);
    layer.set_weights(std::vector<elman::Tensor<float>>{elman::Tensor<float>({a.F, a.U}, p.kernel),
                                                        elman::Tensor<float>({a.U, a.U}, p.recurrent),
                                                        elman::Tensor<float>({a.U}, p.bias)});
    layer.set_threads(a.threads);
    const char* backend = std::getenv("PEER_BACKEND");
    if (backend && std::string(backend) == "gemm") layer.set_backend(elman::Backend::gemm);
    const char* stream_mode = std::getenv("PEER_STREAM");
    if (stream_mode && std::string(stream_mode) == "1") {
        if (a.T != 1) {
            std::fprintf(stderr, "PEER_STREAM=1 times one step: T must be 1\n");
            return 2;
        }
        elman::SimpleRNNStream<float> stream(layer, a.B);
        // One step takes tens of nanoseconds: time blocks of 10000 consecutive steps, report per step.
        constexpr int inner = 10000;
        auto block = [&] {
            for (int i = 0; i < inner; ++i) stream.step(p.x.data());
        };
        block();
        std::vector<double> seconds;
        for (int r = 0; r < a.reps; ++r) {
            const auto t0 = std::chrono::steady_clock::now();
            block();
            seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / inner);
        }
        std::sort(seconds.begin(), seconds.end());
        std::printf("median_seconds=%.9g\n", seconds[seconds.size() / 2]);
        stream.reset();
        const auto& h = stream.step(p.x.data());
        peer::dump_last(a, [&](long b, long u) { return h(b, u); });
        return 0;
    }
    const elman::Tensor<float> x({a.B, a.T, a.F}, p.x);
    elman::Result<float> result;
    peer::time_calls(a, [&] { layer.call(x, {}, result); });
    peer::dump_last(a, [&](long b, long u) { return result.output.data()[(b * a.T + a.T - 1) * a.U + u]; });
}
