#include "util/Runtime.h"

#include <malloc.h>

namespace fp::util {

void configureAllocator() {
    mallopt(M_MMAP_THRESHOLD, 1 << 30);          // the largest value glibc accepts (the env var allows more)
    mallopt(M_TRIM_THRESHOLD, 64 << 20 << 10);   // effectively never trim the heap top
    mallopt(M_TOP_PAD, 1 << 30);                 // grow the heap in large steps
}

}  // namespace fp::util
