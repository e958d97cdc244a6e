// expect: Variable: weight and gradient must have the optimizer's Scalar type
#include <elman/optimizers.hpp>
#ifdef ELMAN_COMPILE_FAIL_CONTROL
using Weight = Eigen::MatrixXf;
#else
using Weight = Eigen::MatrixXd;
#endif
int main() {
    Weight w(2, 2), g(2, 2);
    elman::Variable<float> v("w", w, g);
}
