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
#include "models/ModelLoader.h"
#include "prune/PruneSession.h"
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
    auto data = std::make_shared<prune::RunData>(prune::prepareRunData(settings, model.preprocess));
    std::printf("%s: %zu training identities (%zu images), %zu held out (%zu pairs)\n", train.c_str(),
                data->trainIdentities, data->trainImages, data->verifyIdentities, data->verifyPairs);
    describeRecoveryData(*data, o.verbose);

    std::vector<prune::StudyRow> rows;
    std::map<std::string, std::string> failures;
    for (const auto& criterion : criteria) {
        const std::filesystem::path dir = out / criterion;
        std::printf("== %s -> %s\n", criterion.c_str(), dir.c_str());
        std::fflush(stdout);
        try {
            prune::SessionEvents events;
            std::unique_ptr<prune::PruneSession> session;
            const auto history = [&]() -> const prune::History& { return session->pruneRun().history(); };
            events.note = [](const std::string& line) { std::printf("%s\n", line.c_str()); };
            events.run.progress = [&](const ProgressEvent& e) {
                printProgress(e, session->hasRun() ? history().config.maxIterations : 0);
            };
            events.run.iterationDone = [&](const prune::IterationRecord& r, const graph::Graph&) {
                printIteration(history(), r);
            };
            events.run.recoveryEvaluated = [&](const prune::RecoveryPoint& p) {
                printRecoveryPoint(p, history().config.recoverySteps);
            };
            session = std::make_unique<prune::PruneSession>(stopStudy, events);
            if (prune::PruneRun::isRunDir(dir)) {
                session->resume(dir, {}, data);
            } else {
                prune::RunRequest r = request;
                r.config.criterion = prune::criterionFromName(criterion);
                session->start(dir, model, o.model, r, data, o.recoveryEpochs);
            }
            const auto outcome = session->run();
            if (isatty(STDERR_FILENO)) std::fprintf(stderr, "\r%80s\r", "");
            if (outcome == prune::PruneSession::Outcome::Stopped) break;  // the table below holds what finished
            auto r = prune::studyRows(criterion, history());
            const auto& last = r.back();
            std::printf("%s: %s; MACs %.1f%%, accuracy %.2f%%, TAR@FAR=1e-3 %.2f%%, %.2f ms (original %.2f ms)\n",
                        criterion.c_str(), history().stopReason.c_str(), 100 * last.macsLeft,
                        100 * (last.metrics.count("accuracy") ? last.metrics.at("accuracy") : 0.0),
                        100 * (last.metrics.count("tar_far1e-3") ? last.metrics.at("tar_far1e-3") : 0.0),
                        last.latencyMs, r.front().latencyMs);
            rows.insert(rows.end(), r.begin(), r.end());
        } catch (const Cancelled&) {
            break;  // stopped while the run was being set up: it starts again next time
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
