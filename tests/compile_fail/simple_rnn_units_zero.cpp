// expect: SimpleRNN: Units must be positive or Eigen::Dynamic
#include <elman/simple_rnn.hpp>
#ifdef ELMAN_COMPILE_FAIL_CONTROL
constexpr int units = 1;
#else
constexpr int units = 0;
#endif
int main() { elman::SimpleRNN<float, elman::Tanh, units> layer(units); }
