// SPDX-License-Identifier: MIT
// Running independent batch slices of a recurrence on several threads: persistent workers (SlicePool).
#pragma once

#include <elman/config.hpp>
#include <elman/exceptions.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

ELMAN_NAMESPACE_BEGIN
namespace detail {

/// Number of slices `batch` rows are split into for `threads` threads: never more slices than rows.
inline Index slice_count(Index batch, int threads) noexcept {
    return std::max<Index>(1, std::min<Index>(batch, threads));
}

/// First row of slice `s` of `count` near-equal slices of `batch` rows (slice s is [begin(s), begin(s+1))).
inline Index slice_begin(Index batch, Index count, Index s) noexcept {
    if (count == 1) return batch * s;  // one slice, the usual case: no divisions
    return batch / count * s + std::min(s, batch % count);
}

/// One spin-wait iteration: tells the core we are spinning (x86 `pause`, Arm `yield`), else does nothing.
inline void spin_pause() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield" ::: "memory");
#endif
}

/// Worker threads that stay alive between calls and run the slices of each call: `run(count, body)` runs
/// `body(s)` for s in [0, count), slice 0 on the caller and slice s on worker s-1. Workers are started on the
/// first run that needs them and joined by the destructor (or `stop()`). Between calls a worker spins briefly
/// (so back-to-back calls do not pay a wake-up), then sleeps on a condition variable.
///
/// A pool belongs to one owner object: copying gives an empty pool (the copy starts its own workers when it
/// first needs them), copy-assignment keeps the target's workers, moving transfers them. `run` must not be
/// called concurrently on one pool (the owner's call is not const). If the system refuses a thread, its slices
/// run on the caller instead (same result, less parallelism).
class SlicePool {
  public:
    SlicePool() = default;
    SlicePool(const SlicePool&) noexcept {}
    SlicePool& operator=(const SlicePool&) noexcept { return *this; }
    SlicePool(SlicePool&& other) noexcept : state_(std::move(other.state_)) {}
    SlicePool& operator=(SlicePool&& other) noexcept {
        if (this != &other) {
            stop();
            state_ = std::move(other.state_);
        }
        return *this;
    }
    ~SlicePool() { stop(); }

    /// Worker threads currently running.
    std::size_t workers() const noexcept { return state_ ? state_->threads.size() : 0; }

    /// Joins every worker (the next run starts them again).
    void stop() noexcept {
        if (!state_) return;
        {
            std::lock_guard<std::mutex> lock(state_->mutex);
            state_->stopping = true;
        }
        state_->wake.notify_all();
        for (auto& t : state_->threads) t.join();
        state_.reset();
    }

    /// Runs `body(s)` for every s in [0, count) and returns when all have finished. `body` must not throw;
    /// may throw std::bad_alloc only before any slice has started.
    template <class Body>
    void run(Index count, Body& body) {
        if (count <= 1) {
            if (count == 1) body(Index{0});
            return;
        }
        const std::size_t wanted = static_cast<std::size_t>(count - 1);
        if (!state_) state_ = std::make_unique<State>();
        State& st = *state_;
        while (st.threads.size() < wanted && !st.refused) {
            const std::size_t id = st.threads.size();
            // A new worker must wait for the next job, not run the last one again.
            const unsigned long seen = st.generation.load(std::memory_order_relaxed);
#if ELMAN_HAS_EXCEPTIONS
            try {
                st.threads.emplace_back([&st, id, seen] { worker(st, id, seen); });
            } catch (const std::system_error&) {
                st.refused = true;  // run the missing slices on the caller from now on
            }
#else
            st.threads.emplace_back([&st, id, seen] { worker(st, id, seen); });
#endif
        }
        const std::size_t started = st.threads.size();
        {
            std::lock_guard<std::mutex> lock(st.mutex);
            st.fn = [](void* ctx, Index s) noexcept { (*static_cast<Body*>(ctx))(s); };
            st.ctx = &body;
            st.count = count;
            st.pending.store(started, std::memory_order_relaxed);
            st.generation.fetch_add(1, std::memory_order_release);
        }
        st.wake.notify_all();
        body(Index{0});
        for (Index s = static_cast<Index>(started) + 1; s < count; ++s) body(s);  // slices without a worker
        // Wait for the workers: spin a little, then sleep.
        const auto spin_until = std::chrono::steady_clock::now() + spin_time;
        for (unsigned i = 1; st.pending.load(std::memory_order_acquire) != 0; ++i) {
            spin_pause();
            if (i % 64 == 0 && std::chrono::steady_clock::now() > spin_until) {
                std::unique_lock<std::mutex> lock(st.done_mutex);
                st.done.wait(lock, [&st] { return st.pending.load(std::memory_order_acquire) == 0; });
                break;
            }
        }
    }

  private:
    static constexpr std::chrono::microseconds spin_time{50};

    struct State {
        std::vector<std::thread> threads;
        bool refused = false;  // the system refused a thread once: do not retry on every call
        // The current job, written under `mutex` before `generation` is bumped (release).
        std::mutex mutex;
        std::condition_variable wake;
        bool stopping = false;
        void (*fn)(void*, Index) noexcept = nullptr;
        void* ctx = nullptr;
        Index count = 0;
        std::atomic<unsigned long> generation{0};
        // Workers still running the current job; the one that brings it to 0 notifies `done`.
        std::atomic<std::size_t> pending{0};
        std::mutex done_mutex;
        std::condition_variable done;
    };

    static void worker(State& st, std::size_t id, unsigned long seen) noexcept {
        for (;;) {
            // Wait for a new job: spin a little, then sleep.
            const auto spin_until = std::chrono::steady_clock::now() + spin_time;
            bool have_job = false;
            for (unsigned i = 1; i % 64 != 0 || std::chrono::steady_clock::now() <= spin_until; ++i) {
                if (st.generation.load(std::memory_order_acquire) != seen) {
                    have_job = true;
                    break;
                }
                spin_pause();
            }
            void (*fn)(void*, Index) noexcept = nullptr;
            void* ctx = nullptr;
            Index count = 0;
            {
                std::unique_lock<std::mutex> lock(st.mutex);
                if (!have_job) {
                    st.wake.wait(lock,
                                 [&] { return st.stopping || st.generation.load(std::memory_order_acquire) != seen; });
                }
                if (st.stopping) return;
                seen = st.generation.load(std::memory_order_acquire);
                fn = st.fn;
                ctx = st.ctx;
                count = st.count;
            }
            const Index slice = static_cast<Index>(id) + 1;
            if (slice < count) fn(ctx, slice);
            if (st.pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
                std::lock_guard<std::mutex> lock(st.done_mutex);
                st.done.notify_one();
            }
        }
    }

    std::unique_ptr<State> state_;
};

}  // namespace detail
ELMAN_NAMESPACE_END
