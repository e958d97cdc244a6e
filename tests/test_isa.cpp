// Runtime instruction-set dispatch (include/elman/isa.hpp): which kernel family runs, and that ELMAN_ISA forces
// one or fails clearly. The tests/CMakeLists.txt entries isa.* also run the golden tests under every forced path.
#include <elman/detail/packed_gemm.hpp>
#include <elman/isa.hpp>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace {

// Sets an environment variable for one scope and restores the previous value.
class ScopedEnv {
  public:
    ScopedEnv(const char* name, const char* value) : name_(name) {
        const char* old = std::getenv(name);
        had_ = old != nullptr;
        if (had_) old_ = old;
        ::setenv(name, value, 1);
    }
    ~ScopedEnv() {
        if (had_) {
            ::setenv(name_, old_.c_str(), 1);
        } else {
            ::unsetenv(name_);
        }
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

  private:
    const char* name_;
    bool had_ = false;
    std::string old_;
};

}  // namespace

TEST_CASE("isa: the active path is the best the CPU supports unless ELMAN_ISA forces one", "[isa]") {
    const elman::Isa active = elman::active_isa();
    // Printed so that CI logs show which kernels the suite ran on.
    WARN("active kernels: " << elman::isa_name(active));
    CHECK(elman::isa_supported(active));
    CHECK(elman::isa_supported(elman::Isa::generic));
    const char* forced = std::getenv("ELMAN_ISA");
#if defined(ELMAN_ISA)
    (void)forced;
    CHECK(active == ELMAN_DETAIL_PINNED_ISA);
#else
    if (forced != nullptr && *forced != '\0') {
        CHECK(std::string(elman::isa_name(active)) == forced);
    } else {
        CHECK(active == elman::detail::best_isa());
        // Whatever -march says: on x86-64 with GCC/Clang, an AVX2 or AVX-512 CPU gets its vector kernels.
        if (elman::detail::cpu_supports(elman::Isa::avx512) && elman::detail::isa_compiled(elman::Isa::avx512)) {
            CHECK(active == elman::Isa::avx512);
        } else if (elman::detail::cpu_supports(elman::Isa::avx2) && elman::detail::isa_compiled(elman::Isa::avx2)) {
            CHECK(active == elman::Isa::avx2);
        }
    }
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(ELMAN_ISA)
    CHECK(elman::detail::isa_compiled(elman::Isa::avx2));
    CHECK(elman::detail::isa_compiled(elman::Isa::avx512));
#endif
    // Weights are packed for the active path, with its panel width.
    elman::detail::PackedWeights<float> w;
    w.pack(Eigen::MatrixXf::Ones(3, 5), Eigen::MatrixXf::Ones(5, 5), Eigen::VectorXf::Ones(5));
    CHECK(w.isa() == active);
    CHECK(w.nr() == elman::detail::panel_width<float>(active));
}

TEST_CASE("isa: names", "[isa]") {
    CHECK(std::string(elman::isa_name(elman::Isa::generic)) == "generic");
    CHECK(std::string(elman::isa_name(elman::Isa::avx2)) == "avx2");
    CHECK(std::string(elman::isa_name(elman::Isa::avx512)) == "avx512");
}

#if !defined(ELMAN_ISA)
TEST_CASE("isa: ELMAN_ISA selects a path, and an unusable value names the variable", "[isa]") {
    // choose_isa is what active_isa runs once; it reads the environment on every call.
    {
        const ScopedEnv env("ELMAN_ISA", "generic");
        CHECK(elman::detail::choose_isa() == elman::Isa::generic);
    }
    {
        const ScopedEnv env("ELMAN_ISA", "");
        CHECK(elman::detail::choose_isa() == elman::detail::best_isa());
    }
    for (elman::Isa isa : {elman::Isa::avx2, elman::Isa::avx512}) {
        const ScopedEnv env("ELMAN_ISA", elman::isa_name(isa));
        if (elman::isa_supported(isa)) {
            CHECK(elman::detail::choose_isa() == isa);
        } else {
            CHECK_THROWS_AS(elman::detail::choose_isa(), std::runtime_error);
        }
    }
    {
        const ScopedEnv env("ELMAN_ISA", "sse9");
        try {
            (void)elman::detail::choose_isa();
            FAIL("ELMAN_ISA=sse9 was accepted");
        } catch (const std::runtime_error& e) {
            const std::string what = e.what();
            CHECK(what.find("ELMAN_ISA") != std::string::npos);
            CHECK(what.find("sse9") != std::string::npos);
            CHECK(what.find("generic, avx2, avx512") != std::string::npos);
        }
    }
}
#endif

TEST_CASE("isa: packing for a path the CPU or build lacks is refused", "[isa]") {
    elman::detail::PackedWeights<double> w;
    for (elman::Isa isa : {elman::Isa::generic, elman::Isa::avx2, elman::Isa::avx512}) {
        INFO(elman::isa_name(isa));
        if (elman::isa_supported(isa)) {
            CHECK_NOTHROW(w.pack(Eigen::MatrixXd::Ones(2, 3), Eigen::MatrixXd(0, 3), Eigen::VectorXd(0), isa));
            CHECK(w.isa() == isa);
        } else {
            CHECK_THROWS_AS(w.pack(Eigen::MatrixXd::Ones(2, 3), Eigen::MatrixXd(0, 3), Eigen::VectorXd(0), isa),
                            std::invalid_argument);
        }
    }
}
