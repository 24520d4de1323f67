#pragma once
// The build targets plain x86-64, where the hand-written per-channel loops run 4 floats (SSE2) at a
// time. A function marked with this also gets AVX2 and AVX-512 versions, and the one the CPU can run
// is picked when the program loads (GCC target_clones). Mark the outer function of a loop, and let
// its inner loop inline into it ([[gnu::always_inline]]). Elsewhere (another compiler or CPU, or
// FACEPRUNE_FAST_PATHS off) the mark does nothing and the loops stay as the compiler makes them.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(FP_NO_VECTOR_CLONES)
#define FP_VECTOR_CLONES __attribute__((target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")))
#else
#define FP_VECTOR_CLONES
#endif
