#include "util/Runtime.h"

#include <malloc.h>
#include <sched.h>

#include <cstdlib>
#include <fstream>
#include <limits>
#include <set>
#include <string>
#include <utility>

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <omp.h>

namespace fp::util {

namespace {

// Physical cores this process may run on, from the kernel's topology (0 when unknown).
int usableCores() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 0;
    std::set<std::pair<std::string, std::string>> cores;
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
        if (!CPU_ISSET(cpu, &set)) continue;
        const std::string dir = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/";
        std::ifstream package(dir + "physical_package_id"), core(dir + "core_id");
        std::string p, c;
        if (!(package >> p) || !(core >> c)) {
            p = "?";
            c = std::to_string(cpu);
        }
        cores.emplace(p, c);
    }
    return static_cast<int>(cores.size());
}

}  // namespace

void configureRuntime() {
    mallopt(M_MMAP_THRESHOLD, 1 << 30);          // the largest value glibc accepts (the env var allows more)
    mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max());  // trim the heap top only past 2 GiB free
    mallopt(M_TOP_PAD, 1 << 30);                 // grow the heap in large steps
    // One arena for every thread: the settings above hold for the main arena only. A thread's own
    // arena lives in 64 MiB heaps that glibc shrinks and maps afresh, so a job scoring on a worker
    // thread page-faulted ~70k times a batch and ran 2.5-3.5x slower than on the main thread.
    mallopt(M_ARENA_MAX, 1);

    // Intra-op threads: LibTorch sizes its pool from cpuinfo, which on this kind of VM counts one
    // core for two and leaves LibTorch at 1 thread; one thread per physical core was faster in every
    // configuration measured (bench_scoring, bench_inference). OMP_NUM_THREADS / MKL_NUM_THREADS win.
    if (!std::getenv("OMP_NUM_THREADS") && !std::getenv("MKL_NUM_THREADS")) {
        const int cores = usableCores();
        if (cores > at::get_num_threads()) at::set_num_threads(cores);
    }

    // Values below 1e-38 change no result we report, and the threads LibTorch starts later inherit it.
    at::globalContext().setFlushDenormal(true);
}

void limitTorchThreadsOnThisThread(int threads) {
    if (threads <= 0) return;
    // LibTorch sizes a thread's OpenMP team from its global setting on the thread's first parallel
    // call: make that call now, then narrow this thread's team.
    (void)at::get_num_threads();
    omp_set_num_threads(threads);
}

}  // namespace fp::util
