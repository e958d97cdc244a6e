// Runs a load in a forked child process under resource limits and reports how it ended, so a test can check that a
// hostile input ends in the library's error type rather than std::bad_alloc, a crash or a hang.
#pragma once

#include <elman/io/error.hpp>

#include <catch2/catch.hpp>

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <new>
#include <stdexcept>
#include <string>

// Sanitizers reserve terabytes of address space, so RLIMIT_AS cannot be applied under them.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ELMAN_TEST_NO_RLIMIT_AS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define ELMAN_TEST_NO_RLIMIT_AS 1
#endif
#endif

namespace elman_test {

/// Whether run_limited can cap the child's address space in this build.
#if defined(ELMAN_TEST_NO_RLIMIT_AS)
inline constexpr bool address_space_limited = false;
#else
inline constexpr bool address_space_limited = true;
#endif

/// How a load in a limited child ended: 'F' io::FormatError, 'A' std::bad_alloc, 'E' another exception, 'N' no
/// exception, 'S' killed by a signal (SIGXCPU: over the CPU limit), 'U' the address-space limit was required but is
/// not enforced here, '?' the child reported nothing.
struct Outcome {
    char kind = '?';
    std::string message;
};

/// Limits for run_limited.
struct ChildLimits {
    rlim_t cpu_seconds = 5;
    /// Address space the child may map beyond what it already has (not applied when !address_space_limited).
    rlim_t extra_address_space = rlim_t(1) << 30;
    /// The test means nothing without the address-space limit: check that the kernel enforces it, and report 'U'
    /// when it does not. qemu-user, for one, accepts setrlimit(RLIMIT_AS) and ignores it, so that its own
    /// allocations keep working.
    bool require_address_space_limit = false;
};

/// Runs `load` in a forked child under `limits` and reports how it ended, with the exception's message.
template <class Load>
Outcome run_limited(Load&& load, ChildLimits limits = {}) {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    std::fflush(nullptr);
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        const rlimit cpu{limits.cpu_seconds, limits.cpu_seconds};
        setrlimit(RLIMIT_CPU, &cpu);
        std::string report = "?the limits could not be set";
        bool limited = true;
        if (address_space_limited) {
            unsigned long pages = 0;
            std::FILE* f = std::fopen("/proc/self/statm", "r");
            if (f == nullptr || std::fscanf(f, "%lu", &pages) != 1) pages = 0;
            if (f != nullptr) std::fclose(f);
            const rlim_t mapped = static_cast<rlim_t>(pages) * static_cast<rlim_t>(sysconf(_SC_PAGESIZE));
            const rlimit as{mapped + limits.extra_address_space, mapped + limits.extra_address_space};
            limited = pages > 0 && setrlimit(RLIMIT_AS, &as) == 0;
            if (limited && limits.require_address_space_limit) {
                // Reserving (not touching) more than the limit allows must fail where the limit is enforced.
                const std::size_t probe = static_cast<std::size_t>(limits.extra_address_space) * 2;
                void* p = mmap(nullptr, probe, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (p != MAP_FAILED) {
                    munmap(p, probe);
                    limited = false;
                    report = "Uthe address-space limit is not enforced here";
                }
            }
        }
        if (limited) {
            try {
                load();
                report = "N";
            } catch (const elman::io::FormatError& e) {
                report = std::string("F") + e.what();
            } catch (const std::bad_alloc&) {
                report = "Astd::bad_alloc";
            } catch (const std::exception& e) {
                report = std::string("E") + e.what();
            }
        }
        const ssize_t written = write(fds[1], report.data(), report.size());
        _exit(written == static_cast<ssize_t>(report.size()) ? 0 : 1);
    }
    close(fds[1]);
    std::string text;
    char buf[4096];
    for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(n));
    close(fds[0]);
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    if (WIFSIGNALED(status)) return {'S', "signal " + std::to_string(WTERMSIG(status))};
    if (text.empty()) return {'?', "child exited with status " + std::to_string(WEXITSTATUS(status))};
    return {text[0], text.substr(1)};
}

}  // namespace elman_test
