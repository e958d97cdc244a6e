// expect: SimpleRNN: Units must be positive or Eigen::Dynamic
#include <elman/stream.hpp>
#ifdef ELMAN_COMPILE_FAIL_CONTROL
constexpr int units = 2;
#else
constexpr int units = 0;
#endif
void step(const elman::SimpleRNN<float, elman::Tanh, units, 3>& layer) {
    elman::SimpleRNNStream<float, elman::Tanh, units, 3> stream(layer);
}
int main() {}
