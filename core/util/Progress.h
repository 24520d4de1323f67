#pragma once
// The one progress report across core: which phase of the work, in which pruning iteration, and how
// far within the phase. Long operations take a ProgressSink; callers turn it into a progress bar
// (window), a status line (CLI) or an ETA.
#include <functional>

namespace fp {

enum class Phase {
    FittingHead,  // an identification head for a model that has none
    Scoring,      // criterion scores over the training batches
    Removing,     // structural surgery
    FineTuning,   // the short recovery after a removal
    Evaluating,   // held-out verification
    Recovering,   // the final recovery
    Measuring,    // per-layer sensitivity: one trial cut per step
    Embedding,    // a verification list's images, for its pairs
};
const char* phaseName(Phase p);

struct ProgressEvent {
    int iteration = 0;  // pruning iteration; 0 outside a run's iterations
    Phase phase = Phase::Scoring;
    int step = 0, steps = 0;  // within the phase
};

using ProgressSink = std::function<void(const ProgressEvent&)>;

inline void report(const ProgressSink& sink, int iteration, Phase phase, int step, int steps) {
    if (sink) sink({iteration, phase, step, steps});
}

}  // namespace fp
