// expect: SimpleRNN: Features must be >= 0 or Eigen::Dynamic
#include <elman/simple_rnn.hpp>
#ifdef ELMAN_COMPILE_FAIL_CONTROL
constexpr int features = 0;
#else
constexpr int features = -2;
#endif
int main() { elman::SimpleRNN<float, elman::Tanh, 3, features> layer(3); }
