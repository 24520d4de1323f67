// Linked into every test that runs the engine: the allocator, thread and floating-point settings
// that faceprune and faceprune-cli apply at start-up, so tests exercise the engine as users run it.
#include "util/Runtime.h"

namespace {
[[maybe_unused]] const bool configured = (fp::util::configureRuntime(), true);
}  // namespace
