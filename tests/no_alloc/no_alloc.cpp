// Proof that SimpleRNNStream::step never allocates: every operator new is counted, and Eigen's own allocator
// (which calls malloc directly) is checked with EIGEN_RUNTIME_NO_MALLOC. A separate executable, because the
// replaced global operator new must not leak into the main test binary.
//
// Both detectors are first shown to fire (an allocation made on purpose), so this test cannot pass vacuously.

// Eigen reports a forbidden allocation through eigen_assert; record it instead of aborting, in every build type.
#include <cstdio>
namespace no_alloc {
inline int eigen_failures = 0;
inline void eigen_assert_failed(const char* what) {
    ++eigen_failures;
    std::fprintf(stderr, "eigen_assert failed: %s\n", what);
}
}  // namespace no_alloc
#define EIGEN_RUNTIME_NO_MALLOC
#define eigen_assert(x) ((x) ? (void)0 : no_alloc::eigen_assert_failed(#x))

// The single-header build (ELMAN_SINGLE_HEADER) has only elman/elman.hpp, which includes stream.hpp.
#include <elman/elman.hpp>
#if __has_include(<elman/stream.hpp>)
#include <elman/stream.hpp>
#endif

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

namespace no_alloc {
std::atomic<long> news{0};
}

// GCC pairs the inlined malloc below with the frees in the replaced operator delete and warns, although
// replacing both together is exactly what the standard allows.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(std::size_t size) {
    ++no_alloc::news;
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    ++no_alloc::news;
    return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept { return operator new(size, tag); }
void* operator new(std::size_t size, std::align_val_t align) {
    ++no_alloc::news;
    const std::size_t a = static_cast<std::size_t>(align);
    if (void* p = std::aligned_alloc(a, (size + a - 1) / a * a)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size, std::align_val_t align) { return operator new(size, align); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace {

int failures = 0;

void expect(bool ok, const std::string& what) {
    if (!ok) {
        ++failures;
        std::fprintf(stderr, "FAILED: %s\n", what.c_str());
    }
}

// Steps `steps` times with allocation forbidden; returns (operator new calls, Eigen malloc attempts).
template <class Stream, class Scalar>
void check_steps(Stream& stream, const std::vector<Scalar>& frame, int steps, const std::string& name) {
    Scalar sink = 0;
    const long news_before = no_alloc::news;
    const int eigen_before = no_alloc::eigen_failures;
    Eigen::internal::set_is_malloc_allowed(false);
    for (int i = 0; i < steps; ++i) sink += stream.step(frame.data())(0, 0);
    Eigen::internal::set_is_malloc_allowed(true);
    // Read the counters before building the messages: the messages allocate.
    const bool no_new = no_alloc::news == news_before, no_eigen = no_alloc::eigen_failures == eigen_before;
    expect(no_new, name + ": operator new called during step()");
    expect(no_eigen, name + ": Eigen allocated during step()");
    expect(sink == sink, name + ": step produced NaN");
}

template <class Scalar, class Act, int U, int F>
void run(elman::Index units, elman::Index features, elman::Index batch, const std::string& name) {
    elman::SimpleRNNOptions options;
    options.input_dim = features;
    elman::SimpleRNN<Scalar, Act> layer(units, options);
    elman::SimpleRNNStream<Scalar, Act, U, F> stream(layer, batch);
    std::vector<Scalar> frame(static_cast<std::size_t>(batch * features), Scalar(0.25));
    check_steps(stream, frame, 1000, name);
    // reset() is promised allocation-free too.
    Eigen::internal::set_is_malloc_allowed(false);
    const long before = no_alloc::news;
    stream.reset();
    Eigen::internal::set_is_malloc_allowed(true);
    const bool no_new = no_alloc::news == before;
    expect(no_new, name + ": reset() allocated");
}

}  // namespace

int main() {
    // The detectors work: a deliberate allocation is seen by both.
    {
        const long before = no_alloc::news;
        auto* probe = new std::vector<int>(8);
        const bool seen = no_alloc::news > before;
        expect(seen, "operator new counter did not see an allocation");
        delete probe;
        const int eigen_before = no_alloc::eigen_failures;
        Eigen::internal::set_is_malloc_allowed(false);
        Eigen::VectorXf dynamic(1000);
        Eigen::internal::set_is_malloc_allowed(true);
        expect(no_alloc::eigen_failures > eigen_before, "EIGEN_RUNTIME_NO_MALLOC did not see an Eigen allocation");
        expect(dynamic.size() == 1000, "probe vector");
        no_alloc::eigen_failures = 0;
    }

    run<float, elman::Tanh, Eigen::Dynamic, Eigen::Dynamic>(32, 16, 1, "float dynamic S1");
    run<float, elman::Tanh, 32, 16>(32, 16, 1, "float fixed S1");
    run<double, elman::Tanh, Eigen::Dynamic, Eigen::Dynamic>(64, 32, 1, "double dynamic");
    run<float, elman::Tanh, Eigen::Dynamic, Eigen::Dynamic>(128, 64, 8, "float dynamic batch 8");
    run<float, elman::Relu, 1, 3>(1, 3, 2, "float fixed one unit");
    run<double, elman::Softmax, 10, 4>(10, 4, 3, "double fixed softmax");
    run<float, elman::Sigmoid, Eigen::Dynamic, Eigen::Dynamic>(1024, 128, 1, "float dynamic large");

    if (failures == 0)
        std::printf("no allocation in %d stream configurations (the eigen_assert above was the probe)\n", 7);
    return failures == 0 ? 0 : 1;
}
