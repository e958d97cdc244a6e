// expect: SimpleRNNStream: Features must be >= 0 or Eigen::Dynamic
#include <elman/stream.hpp>
#ifdef ELMAN_COMPILE_FAIL_CONTROL
constexpr int features = 0;
#else
constexpr int features = -3;
#endif
int main() { return sizeof(elman::SimpleRNNStream<float, elman::Tanh, 2, features>) > 0 ? 0 : 1; }
