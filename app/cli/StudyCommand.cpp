// faceprune-cli study: the seed study's comparison of criteria on real weights. One run per
// criterion, with the same recipe, data and seed, in STUDY_DIR/<criterion>/, and one table of them
// all (STUDY_DIR/study.json, study.csv). Stopped studies resume: finished runs are kept, a stopped
// run goes on where it was.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <sstream>

#include <unistd.h>

#include "app/cli/Commands.h"
#include "app/cli/PruneOptions.h"
#include "app/cli/RunReport.h"
#include "exec/Executor.h"
#include "io/NativeFormat.h"
#include "models/ModelLoader.h"
#include "prune/Study.h"
#include "util/Errors.h"

namespace fp::cli {

namespace {

std::atomic<bool> stopStudy{false};

extern "C" void onStudyInterrupt(int) { stopStudy = true; }

struct StudyOptions : PruneOptions {
    std::string criteria = "taylor,taylor-bn,l1,bn,random";
};

std::vector<std::string> splitList(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream in(s);
    for (std::string item; std::getline(in, item, ',');)
        if (!item.empty()) out.push_back(item);
    return out;
}

// Batch-1 latency in ms: the fastest of a few runs (slower ones measured something else too).
double latencyMs(const graph::Graph& g) {
    exec::Executor net(g);
    const Tensor input = Tensor::zeros({1, 3, g.preprocess.height, g.preprocess.width});
    net.embed(input);
    double best = 1e30;
    for (int i = 0; i < 30; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        net.embed(input);
        best = std::min(best, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    return best;
}

int runStudy(StudyOptions o) {
    std::signal(SIGINT, onStudyInterrupt);
    std::signal(SIGTERM, onStudyInterrupt);
    const std::string train = o.value("train");
    if (o.model.empty() || train.empty() || o.out.empty()) throw Error("study needs --model, --train and --out");
    if (!o.given.count("target")) o.given["target"] = "macs:0.5";
    const prune::RunRequest request = toRequest(o);  // bad settings fail before any work
    const auto criteria = splitList(o.criteria);
    if (criteria.empty()) throw Error("--criteria names no criterion");
    for (const auto& c : criteria) prune::criterionFromName(c);  // bad names fail before any work
    const std::filesystem::path out = o.out;
    std::filesystem::create_directories(out);

    graph::Graph model = models::loadModel(o.model);
    const prune::DataSettings& settings = request.data;
    auto data = prune::prepareRunData(settings, model.preprocess);
    std::printf("%s: %zu training identities (%zu images), %zu held out (%zu pairs)\n", train.c_str(),
                data.trainIdentities, data.trainImages, data.verifyIdentities, data.verifyPairs);
    describeRecoveryData(data, o.verbose);
    const double originalMs = latencyMs(model);

    std::vector<prune::StudyRow> rows;
    std::map<std::string, std::string> failures;
    for (const auto& criterion : criteria) {
        const std::filesystem::path dir = out / criterion;
        std::printf("== %s -> %s\n", criterion.c_str(), dir.c_str());
        std::fflush(stdout);
        try {
            std::unique_ptr<prune::PruneRun> run;
            prune::RunCallbacks cb;
            cb.progress = [&](const prune::ProgressEvent& e) {
                printProgress(e, run ? run->history().config.maxIterations : 0);
            };
            cb.iterationDone = [&](const prune::IterationRecord& r, const graph::Graph&) {
                printIteration(run->history(), r);
            };
            cb.recoveryEvaluated = [&](const prune::RecoveryPoint& p) {
                printRecoveryPoint(p, run->history().config.recoverySteps);
            };
            if (prune::PruneRun::isRunDir(dir)) {
                run = std::make_unique<prune::PruneRun>(prune::PruneRun::open(dir));
            } else {
                prune::PruneConfig config = request.config;
                config.criterion = prune::criterionFromName(criterion);
                applyRecoveryEpochs(config, o, data);
                run = std::make_unique<prune::PruneRun>(prune::PruneRun::start(
                    dir, model, o.model, config, *data.train, data.evaluate, &stopStudy, cb, settings.toMap()));
            }
            run->run(*data.train, data.evaluate, &stopStudy, cb, data.recovery.get());
            if (isatty(STDERR_FILENO)) std::fprintf(stderr, "\r%80s\r", "");
            if (!run->finished()) break;  // stopped by the user: the table below holds what finished
            const auto finalModel = io::loadNative(dir / "final.fpm");
            auto r = prune::studyRows(criterion, run->history(), originalMs, latencyMs(finalModel));
            const auto& last = r.back();
            std::printf("%s: %s; MACs %.1f%%, accuracy %.2f%%, TAR@FAR=1e-3 %.2f%%, %.2f ms (original %.2f ms)\n",
                        criterion.c_str(), run->history().stopReason.c_str(), 100 * last.macsLeft,
                        100 * (last.metrics.count("accuracy") ? last.metrics.at("accuracy") : 0.0),
                        100 * (last.metrics.count("tar_far1e-3") ? last.metrics.at("tar_far1e-3") : 0.0),
                        last.latencyMs, originalMs);
            rows.insert(rows.end(), r.begin(), r.end());
        } catch (const std::exception& e) {
            // One criterion that does not apply (BatchNorm criteria on a BN-folded model) stops only itself.
            std::fprintf(stderr, "%s: %s\n", criterion.c_str(), e.what());
            failures[criterion] = e.what();
        }
        prune::writeStudyTable(out, rows, failures);
        if (stopStudy) break;
    }
    prune::writeStudyTable(out, rows, failures);
    std::printf("table: %s and %s\n", (out / "study.json").c_str(), (out / "study.csv").c_str());
    if (stopStudy) {
        std::printf("stopped; run the same command again to go on\n");
        return 130;
    }
    return failures.size() == criteria.size() ? 1 : 0;
}

}  // namespace

void addStudyCommand(CLI::App& app) {
    auto o = std::make_shared<StudyOptions>();
    auto* cmd = app.add_subcommand("study", "Prune with several criteria under the same recipe and compare them in one "
                                            "table (study.json, study.csv); run it again to resume");
    cmd->add_option("--model", o->model, "Zoo name or model file");
    cmd->add_option("--out", o->out, "Study folder: one run folder per criterion and the table");
    cmd->add_option("--criteria", o->criteria, "Comma-separated criteria")->capture_default_str();
    addRunOptions(cmd, *o, {"criterion"});
    cmd->callback([o] {
        if (int code = runStudy(*o)) throw CLI::RuntimeError(code);
    });
}

}  // namespace fp::cli
