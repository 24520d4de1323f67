#pragma once
// The one way work is cancelled across core, jobs and the CLI: the owner (a job, a signal handler)
// sets a CancelToken; the engine polls it between mini-batches and unwinds with fp::Cancelled.
// Code that takes a `const CancelToken*` accepts nullptr for "cannot be cancelled".
#include <atomic>

#include "util/Errors.h"

namespace fp {

using CancelToken = std::atomic<bool>;

inline bool cancelled(const CancelToken* token) { return token && token->load(std::memory_order_relaxed); }

inline void throwIfCancelled(const CancelToken* token) {
    if (cancelled(token)) throw Cancelled();
}

}  // namespace fp
