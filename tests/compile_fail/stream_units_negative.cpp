// expect: SimpleRNNStream: Units must be positive or Eigen::Dynamic
#include <elman/stream.hpp>
#ifdef ELMAN_COMPILE_FAIL_CONTROL
constexpr int units = Eigen::Dynamic;  // -1
#else
constexpr int units = -2;
#endif
int main() { return sizeof(elman::SimpleRNNStream<float, elman::Tanh, units>) > 0 ? 0 : 1; }
