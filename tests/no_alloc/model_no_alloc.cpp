// Proof that Model::predict(inputs, outputs) allocates nothing once its buffers exist: every fixture model of
// tests/data/model is called twice (buffers sized), then every operator new during further calls with the same
// shapes is counted. A separate executable, because the replaced global operator new must not leak into the main
// test binary. The counter is first shown to fire (an allocation made on purpose), so the test cannot pass
// vacuously.
#include "../model_cases.hpp"

#include <elman/io/tfjs_model.hpp>
#include <elman/model/model.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <vector>

namespace model_no_alloc {
std::atomic<long> news{0};
}

// GCC pairs the inlined malloc below with the frees in the replaced operator delete and warns, although
// replacing both together is exactly what the standard allows.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(std::size_t size) {
    ++model_no_alloc::news;
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {

template <class Scalar>
int check_model(const std::string& dir, const std::string& name) {
    auto m = elman::io::load_tfjs_model<Scalar>(dir + name + "/model.json");
    std::vector<elman::Tensor<Scalar>> inputs;
    for (std::size_t i = 0; i < m.input_count(); ++i) {
        elman::model::Dims d = m.input_shape(i);
        for (elman::Index& e : d)
            if (e < 0) e = 3;  // the batch and any unknown extent
        elman::Tensor<Scalar> t(elman::model::detail::to_shape(d));
        for (elman::Index k = 0; k < t.size(); ++k) t.data()[k] = static_cast<Scalar>(k % 4);  // valid Embedding ids
        inputs.push_back(std::move(t));
    }
    const std::vector<elman::ModelInput> views(inputs.begin(), inputs.end());
    std::vector<elman::Tensor<Scalar>> outputs;
    m.predict(views, outputs);
    m.predict(views, outputs);
    const long before = model_no_alloc::news;
    for (int k = 0; k < 5; ++k) m.predict(views, outputs);
    const long allocations = model_no_alloc::news - before;
    std::printf("%-28s %s: %ld allocations in 5 predict calls\n", name.c_str(),
                sizeof(Scalar) == 4 ? "float" : "double", allocations);
    return allocations == 0 ? 0 : 1;
}

}  // namespace

int main() {
    const long start = model_no_alloc::news;
    auto probe = std::make_unique<int>(1);
    if (model_no_alloc::news == start || *probe != 1) {
        std::printf("FAIL: the allocation counter did not see an allocation made on purpose\n");
        return 1;
    }
    int failures = 0, models = 0;
    for (const std::string& name : elman_test::model_case_names()) {
        failures += check_model<float>(elman_test::model_dir, name) + check_model<double>(elman_test::model_dir, name);
        ++models;
    }
    if (models < 20) {
        std::printf("FAIL: found %d fixture models, expected at least 20\n", models);
        return 1;
    }
    if (failures) std::printf("FAIL: %d model/scalar combinations allocated\n", failures);
    return failures ? 1 : 0;
}
