// expect: SimpleRNNStream: Scalar must be a floating-point type
#include <elman/stream.hpp>
#ifdef ELMAN_COMPILE_FAIL_CONTROL
using Scalar = double;
#else
using Scalar = long;
#endif
int main() { return sizeof(elman::SimpleRNNStream<Scalar>) > 0 ? 0 : 1; }
