#pragma once
// Process-wide settings every FacePrune binary applies at start-up.
namespace fp::util {

// Call first thing in main(), before any thread starts (threads inherit the
// floating-point mode):
// - keeps large activation buffers mapped between iterations: glibc's default
//   returns them to the OS after every batch and re-faults them (measured here:
//   ResNet50 batch-32 forward 8.3 s -> 5.7 s), on every thread: jobs run on
//   worker threads, which glibc would otherwise give arenas of their own;
// - one LibTorch thread per physical core;
// - flushes denormal floats to zero: pretrained weights produce denormal
//   activations that the CPU handles ~100x slower (MobileFaceNet forward 3.6x
//   faster, bench_scoring).
void configureRuntime();

// LibTorch's intra-op (OpenMP) threads for the calling thread only; other threads keep the process
// setting (at::set_num_threads would change it for every later thread, e.g. a pruning run's).
// 0 leaves the thread as it is.
void limitTorchThreadsOnThisThread(int threads);

}  // namespace fp::util
