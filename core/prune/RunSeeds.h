#pragma once
// Seeds of a pruning run, derived from (run seed, iteration, purpose): a resumed
// run and a replay see the same batches and initialisations as the original run.
#include <cstdint>

namespace fp::prune {

enum class SeedPurpose : uint64_t { Scoring = 1, ScoringBatches = 2, FineTuning = 3, Recovery = 4 };

inline uint64_t iterationSeed(uint64_t runSeed, int iteration, SeedPurpose purpose) {
    return runSeed * 1000003ULL + static_cast<uint64_t>(iteration) * 101ULL + static_cast<uint64_t>(purpose);
}

}  // namespace fp::prune
