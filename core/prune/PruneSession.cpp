#include "prune/PruneSession.h"

#include <chrono>
#include <cmath>

#include <cerrno>
#include <csignal>
#include <cstdlib>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "data/CancellableSource.h"
#include "dist/Group.h"

namespace fp::prune {

PruneSession::PruneSession(const CancelToken& cancel, SessionEvents events)
    : cancel_(cancel), events_(std::move(events)) {}

PruneSession::~PruneSession() {
    if (scratch_.empty()) return;
    run_.reset();
    std::error_code ec;
    std::filesystem::remove_all(scratch_, ec);
}

void PruneSession::setGroup(dist::Group* group) {
    group_ = group;
    if (group_) group_->setCancel(&cancel_, &agreed_);
}

namespace {

std::string toText(const Evaluation& e) { return nlohmann::json{{"metrics", e.metrics}, {"roc", e.roc}}.dump(); }

Evaluation fromText(const std::string& text) {
    const auto j = nlohmann::json::parse(text);
    return {j.at("metrics").get<std::map<std::string, double>>(),
            j.at("roc").get<std::vector<std::array<double, 2>>>()};
}

}  // namespace

namespace {

constexpr const char* kScratchPrefix = "faceprune-rank-";

// Scratch folders of ranks that were killed (their process is gone): nobody else removes them.
void removeOrphanedScratch(const std::filesystem::path& tmp) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(tmp, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind(kScratchPrefix, 0) != 0) continue;
        const auto dash = name.rfind('-');
        const pid_t pid = static_cast<pid_t>(std::atol(name.c_str() + dash + 1));
        if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) std::filesystem::remove_all(entry.path(), ec);
    }
}

}  // namespace

std::filesystem::path PruneSession::ownFolder(const std::filesystem::path& runDir, bool resuming) {
    namespace fs = std::filesystem;
    if (!group_ || group_->leads()) return runDir;
    removeOrphanedScratch(fs::temp_directory_path());
    scratch_ = fs::temp_directory_path() /
               (kScratchPrefix + std::to_string(group_->rank()) + "-" + std::to_string(::getpid()));
    fs::remove_all(scratch_);
    fs::create_directories(scratch_);
    if (!resuming) return scratch_;
    // What reopening needs of rank 0's folder: the record, the original, the last checkpoint, the
    // final recovery's training state, the final model.
    if (!PruneRun::isRunDir(runDir))
        throw Error(runDir.string() + " is not a pruning run folder (no run.json / original.fpm)");
    const History h = loadHistory(runDir / "run.json");
    std::vector<fs::path> files{"run.json", "original.fpm", "final.fpm"};
    if (!h.iterations.empty())
        files.push_back(fs::relative(PruneRun::modelFile(runDir, h.iterations.back().iteration), runDir));
    for (const auto& f : files) {
        if (!fs::exists(runDir / f)) continue;
        fs::create_directories((scratch_ / f).parent_path());
        fs::copy_file(runDir / f, scratch_ / f);
    }
    if (fs::exists(runDir / "recovery"))
        fs::copy(runDir / "recovery", scratch_ / "recovery", fs::copy_options::recursive);
    return scratch_;
}

void PruneSession::prepareData(const DataSettings& settings, const graph::Preprocess& pre,
                               std::shared_ptr<RunData> shared) {
    DataSettings mine = settings;
    if (group_) {
        mine.shardIndex = group_->rank();
        mine.shardCount = group_->worldSize();
    }
    data_ = shared ? std::move(shared) : std::make_shared<RunData>(prepareRunData(mine, pre));
    if (events_.dataReady) events_.dataReady(settings, *data_);
    train_ = std::make_unique<data::CancellableSource>(*data_->train, *runCancel());
    recovery_ = data_->recovery ? std::make_unique<data::CancellableSource>(*data_->recovery, *runCancel()) : nullptr;
    evaluate_ = {};
    if (!data_->evaluate) return;
    evaluate_ = [this](const graph::Graph& g) {
        throwIfCancelled(runCancel());
        const auto t0 = std::chrono::steady_clock::now();
        Evaluation e;
        // Distributed: rank 0 verifies, every rank records its figures (stop conditions and the
        // recovery's best step then agree everywhere).
        if (!group_ || group_->leads()) e = data_->evaluate(g);
        if (group_) e = fromText(group_->broadcastText(group_->leads() ? toText(e) : std::string()));
        if (events_.evaluated)
            events_.evaluated(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        return e;
    };
}

void PruneSession::start(const std::filesystem::path& runDir, graph::Graph model, const std::string& modelSpec,
                         const RunRequest& request, std::shared_ptr<RunData> data, double recoveryEpochs) {
    prepareData(request.data, model.preprocess, std::move(data));
    PruneConfig config = request.config;
    if (config.recoverySteps > 0 && recoveryEpochs > 0 && recovery_) {
        const auto perPass = recovery_->batchesPerPass();
        config.recoverySteps = std::max(1, static_cast<int>(std::ceil(recoveryEpochs * static_cast<double>(perPass))));
        if (events_.note)
            events_.note("final recovery: " + formatNumber(recoveryEpochs) + " passes of " + std::to_string(perPass) +
                         " batches = " + std::to_string(config.recoverySteps) + " steps");
    }
    run_ = std::make_unique<PruneRun>(PruneRun::start(ownFolder(runDir, false), std::move(model), modelSpec, config,
                                                      *train_, evaluate_, runCancel(), events_.run,
                                                      request.data.toMap(), group_));
}

void PruneSession::resume(const std::filesystem::path& runDir, const std::string& trainDir,
                          std::shared_ptr<RunData> data) {
    run_ = std::make_unique<PruneRun>(PruneRun::open(ownFolder(runDir, true)));
    run_->setGroup(group_);
    if (run_->finished()) return;
    auto settings = DataSettings::fromMap(run_->history().data);
    if (!trainDir.empty()) settings.trainDir = trainDir;
    prepareData(settings, run_->model().preprocess, std::move(data));
    if (events_.note) {
        const auto& h = run_->history();
        events_.note("resuming " + runDir.string() + " after iteration " + std::to_string(h.iterations.size()) +
                     (h.recovery.started ? ", recovery step " + std::to_string(h.recovery.stepsDone) : ""));
    }
}

PruneSession::Outcome PruneSession::run() {
    if (!run_) throw Error("no pruning run was started or opened");
    if (run_->finished()) return Outcome::Finished;
    try {
        run_->run(*train_, evaluate_, runCancel(), events_.run, recovery_.get());
    } catch (const Cancelled&) {
        // Stopped inside a step rather than between them: the run folder holds the last whole one.
    }
    return run_->finished() ? Outcome::Finished : Outcome::Stopped;
}

}  // namespace fp::prune
