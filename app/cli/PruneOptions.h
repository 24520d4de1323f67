#pragma once
// The options prune and study share: one per run setting (prune/RunSettings.h: data, method,
// recovery recipe, stop conditions), each starting at the default request's value, plus
// --recovery-epochs and --verbose.
#include <map>
#include <set>
#include <string>

#include <CLI/CLI.hpp>

#include "prune/RunData.h"
#include "prune/RunSettings.h"

namespace fp::cli {

struct PruneOptions {
    std::string model, out, resume;
    std::map<std::string, std::string> given;  // run settings named on the command line, as typed
    double recoveryEpochs = 0;                 // > 0: replaces recovery-steps
    bool verbose = false;

    // A setting as given, or its default.
    std::string value(const std::string& key) const;
};

// One rank of a distributed run (`faceprune-cli launch` sets these for local ranks).
struct DistributedOptions {
    int worldSize = 1;
    int rank = 0;
    std::string master = "127.0.0.1:29500";
    double timeoutSeconds = 300;  // waiting for the other ranks (rank 0 verifies while they wait)
};
void addDistributedOptions(CLI::App* cmd, DistributedOptions& d);

// An option --KEY for every run setting but those in leaveOut, writing into `o`.
void addRunOptions(CLI::App* cmd, PruneOptions& o, const std::set<std::string>& leaveOut = {});

// The default request with the given settings applied; throws fp::InputError naming a bad setting.
// With a target, the iteration limit is only a guard: 200 unless --iterations is given.
prune::RunRequest toRequest(const PruneOptions& o);

// "unlabelled recovery faces: N (M left out ...)"; with verbose, every image left out on stderr.
void describeRecoveryData(const prune::RunData& data, bool verbose);

}  // namespace fp::cli
