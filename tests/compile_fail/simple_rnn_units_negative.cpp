// expect: SimpleRNN: Units must be positive or Eigen::Dynamic
#include <elman/simple_rnn.hpp>
#ifdef ELMAN_COMPILE_FAIL_CONTROL
constexpr int units = Eigen::Dynamic;  // -1
#else
constexpr int units = -2;
#endif
int main() { elman::SimpleRNN<float, elman::Tanh, units> layer(3); }
