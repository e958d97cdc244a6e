// expect: SimpleRNN: Features must be >= 0 or Eigen::Dynamic
#include <elman/stream.hpp>
#ifdef ELMAN_COMPILE_FAIL_CONTROL
constexpr int features = 3;
#else
constexpr int features = -3;
#endif
void step(const elman::SimpleRNN<float, elman::Tanh, 2, features>& layer) {
    elman::SimpleRNNStream<float, elman::Tanh, 2, features> stream(layer);
}
int main() {}
