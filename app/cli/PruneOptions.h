#pragma once
// The options prune and study share: data, the cutting schedule, the recovery recipe and stop
// conditions. Recovery options start at the recipe's values (prune::withRecoveryRecipe); --quick
// turns recovery off.
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "prune/RunData.h"

namespace fp::cli {

struct PruneOptions {
    PruneOptions();
    std::string model, train, out, resume, pairs, pairsImages;
    std::string criterion = "taylor", perIteration = "5%", target, floor, loss = "softmax", schedule = "constant";
    std::string cost;  // empty: MACs, and only if --cost-lambda is given
    int latencyBatch = 32;
    int iterations = 10, scoringBatches = 0, batchSize = 32, limitIdentities = 0, roundTo = 1;
    int finetuneSteps = 0, recoverySteps = 0, recoveryWarmup = 0, recoveryEvalEvery = 0;
    double lr = 0, recoveryLr = 0, minWidth = 0.1, verifyFraction = 0.2, flopsLambda = 0.0;
    double distill = 0, relation = 0;
    double recoveryEpochs = 0;  // > 0: replaces recoverySteps
    bool labels = false, quick = false, jitter = false, verbose = false;
    bool iterationsGiven = false;
    std::vector<std::string> locked, unlabelled;
    uint64_t seed = 1;
    bool flip = false;
};

// Every option but --model, --out, --resume and --criterion, on `cmd`, writing into `o`.
void addRunOptions(CLI::App* cmd, PruneOptions& o);

prune::PruneConfig toConfig(const PruneOptions& o);      // throws fp::Error for bad names and values
// --recovery-epochs: the final recovery's length in passes over the recovery faces, once they are
// known (run.json keeps the steps it comes to). Prints the conversion.
void applyRecoveryEpochs(prune::PruneConfig& c, const PruneOptions& o, const prune::RunData& data);
prune::DataSettings toDataSettings(const PruneOptions& o);

// "unlabelled recovery faces: N (M left out ...)"; with verbose, every image left out on stderr.
void describeRecoveryData(const prune::RunData& data, bool verbose);

}  // namespace fp::cli
