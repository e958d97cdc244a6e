// expect: SimpleRNN: Scalar must be a floating-point type
// stream.hpp has no static_assert of its own: building a stream instantiates the layer type, which checks.
#include <elman/stream.hpp>
#ifdef ELMAN_COMPILE_FAIL_CONTROL
using Scalar = double;
#else
using Scalar = long;
#endif
void step(const elman::SimpleRNN<Scalar>& layer) { elman::SimpleRNNStream<Scalar> stream(layer); }
int main() {}
