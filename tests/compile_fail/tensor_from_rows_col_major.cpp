// expect: from_rows needs a row-major matrix
#include <elman/tensor.hpp>
#ifdef ELMAN_COMPILE_FAIL_CONTROL
using Matrix = elman::RowMajorMatrix<float>;
#else
using Matrix = Eigen::MatrixXf;
#endif
int main() {
    const Matrix m(4, 3);
    (void)elman::TensorView<const float>::from_rows(m, 2);
}
