#pragma once
// One pruning run driven from its start (or a resume) to its end or a cancel: the part that
// `faceprune-cli prune`, `faceprune-cli study` and the window's PruneJob share. The session
// prepares the run's data from the request (or the run's record), makes every batch read honour
// the cancel token, and turns a cancel anywhere in the engine into Outcome::Stopped with the run
// folder resumable. Loading the model stays with the caller (zoo names live above core).
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "prune/PruneRun.h"
#include "prune/RunData.h"
#include "prune/RunSettings.h"
#include "util/Cancel.h"

namespace fp::data {
class CancellableSource;
}
namespace fp::dist {
class Group;
}

namespace fp::prune {

struct SessionEvents {
    std::function<void(const std::string&)> note;   // a line for the user: recovery length, resuming ...
    // The data were read (counts, skipped files), from these settings.
    std::function<void(const DataSettings&, const RunData&)> dataReady;
    std::function<void(double seconds)> evaluated; // one held-out evaluation took this long
    RunCallbacks run;                                // progress, iterations, recovery evaluations
};

class PruneSession {
public:
    enum class Outcome { Finished, Stopped };

    PruneSession(const CancelToken& cancel, SessionEvents events);
    // A distributed run (before start or resume): this rank loads its share of every batch; rank 0
    // evaluates and shares the figures, and alone writes the run folder (the others keep their
    // state in a scratch folder, removed with the session, and resume from rank 0's folder). A
    // cancel on any rank stops every rank at the same step.
    void setGroup(dist::Group* group);
    ~PruneSession();
    PruneSession(const PruneSession&) = delete;
    PruneSession& operator=(const PruneSession&) = delete;

    // A new run of `model` in `runDir`: fits a head if needed and evaluates the original. `data`
    // shares data prepared once (a study's runs); null prepares them from request.data.
    // recoveryEpochs > 0 gives the final recovery's length in passes over the recovery faces.
    // Throws fp::Error for bad settings or data, fp::Cancelled when cancelled before the run exists.
    void start(const std::filesystem::path& runDir, graph::Graph model, const std::string& modelSpec,
               const RunRequest& request, std::shared_ptr<RunData> data = nullptr, double recoveryEpochs = 0);
    // Reopens the run in `runDir`; a non-empty `trainDir` replaces its recorded training folder.
    // A finished run is opened without reading any data.
    void resume(const std::filesystem::path& runDir, const std::string& trainDir = {},
                std::shared_ptr<RunData> data = nullptr);

    // Iterates until a stop condition holds, then the final recovery; Stopped when cancelled
    // (everything completed stays in the run folder).
    Outcome run();

    bool hasRun() const { return run_ != nullptr; }  // false until start() has evaluated the original
    const PruneRun& pruneRun() const { return *run_; }
    bool finished() const { return run_ && run_->finished(); }
    const RunData* data() const { return data_.get(); }

private:
    void prepareData(const DataSettings& settings, const graph::Preprocess& pre, std::shared_ptr<RunData> shared);

    // Where this rank keeps the run: the run folder itself, or a non-leading rank's scratch copy.
    std::filesystem::path ownFolder(const std::filesystem::path& runDir, bool resuming);
    const CancelToken* runCancel() const { return group_ ? &agreed_ : &cancel_; }

    const CancelToken& cancel_;
    CancelToken agreed_{false};  // distributed: the cancel every rank takes at the same step
    dist::Group* group_ = nullptr;
    std::filesystem::path scratch_;
    SessionEvents events_;
    std::shared_ptr<RunData> data_;
    std::unique_ptr<data::CancellableSource> train_, recovery_;
    Evaluator evaluate_;
    std::unique_ptr<PruneRun> run_;
};

}  // namespace fp::prune
