// expect: SimpleRNN: Scalar must be a floating-point type
#include <elman/simple_rnn.hpp>
#ifdef ELMAN_COMPILE_FAIL_CONTROL
using Scalar = float;
#else
using Scalar = int;
#endif
int main() { elman::SimpleRNN<Scalar> layer(4); }
