// What the recovery recipe keeps: a model pruned with Taylor scores to each MACs target with the
// default recipe (prune::withRecoveryRecipe, or the overrides given), on labelled identity folders
// (a share of the people held out for verification) plus unlabelled faces, evaluated on the held-out
// people's pairs: 10-fold accuracy (mean and spread), EER and TAR at FAR=1e-3 of the original and of
// each result, wall time, and realised speed-up (paired latency, batch 1 and 32).
// A run folder left by an interrupted benchmark is resumed.
//   bench_recovery [--model mobilefacenet] [--targets 0.7,0.6,0.5] [--tag NAME] [--set KEY=VALUE ...]
// --set takes any run setting by its CLI name (prune/RunSettings), for example --set cost=macs.
// --throughput instead times one recovery step (student forward and backward, teacher forward, the
// recipe's losses, SGD) on --model; for MobileFaceNet against the same step in PyTorch
// (bench/reference/recovery_reference.py, Debian's python3-torch), same batch and threads.
#include <cstdio>
#include <sstream>

#include <CLI/CLI.hpp>

#include "BenchCommon.h"
#include "OpProfile.h"
#include "exec/Executor.h"
#include "io/NativeFormat.h"
#include "models/ModelLoader.h"
#include "data/FolderBatchSource.h"
#include "prune/PruneSession.h"
#include "prune/RunData.h"
#include "prune/RunSettings.h"
#include "train/Trainer.h"
#include "util/Assets.h"
#include "util/Errors.h"
#include "util/Runtime.h"

using namespace fp;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Options {
    std::string model = "mobilefacenet", targets = "0.7,0.6,0.5", tag = "default", data, unlabelled, out;
    double verifyFraction = 0.2;
    int threads = 2;
    std::vector<std::string> settings;  // KEY=VALUE over the default recipe
    bool noUnlabelled = false, throughput = false;
    int batch = 32, steps = 8;
    int profile = 0;  // with --throughput: the N costliest ops of the timed steps
};

std::vector<double> parseTargets(const std::string& s) {
    std::vector<double> out;
    std::stringstream in(s);
    for (std::string item; std::getline(in, item, ',');) out.push_back(std::stod(item));
    return out;
}

// The default recipe with Taylor scores, the data given, and the --set overrides (checked by the
// settings table, so a typo is an error rather than a silently different recipe).
prune::RunRequest recipe(const Options& o) {
    prune::RunRequest r = prune::defaultRunRequest();
    r.config.criterion = prune::Criterion::Taylor;
    r.config.maxIterations = 200;
    r.data.trainDir = o.data;
    r.data.verifyFraction = o.verifyFraction;
    if (!o.unlabelled.empty()) r.data.unlabelledDirs = {o.unlabelled};
    std::map<std::string, std::string> values;
    for (const auto& kv : o.settings) {
        const auto eq = kv.find('=');
        if (eq == std::string::npos) throw InputError("--set " + kv + ": expected KEY=VALUE");
        values[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    prune::applySettings(r, values);
    return r;
}

json figures(const std::map<std::string, double>& m) {
    auto get = [&](const char* k) { auto it = m.find(k); return it == m.end() ? -1.0 : it->second; };
    return {{"accuracy", get("accuracy")},     {"fold_mean", get("fold_accuracy")}, {"fold_std", get("fold_std")},
            {"eer", get("eer")},               {"tar_far1e-3", get("tar_far1e-3")}, {"auc", get("auc")}};
}

void printRow(const char* name, const json& f, double macs, double params) {
    std::printf("  %-22s acc %6.2f%% (folds %6.2f +- %4.2f)  EER %5.2f%%  TAR@1e-3 %6.2f%%  MACs %5.1f%%  params %5.1f%%\n",
                name, 100 * f["accuracy"].get<double>(), 100 * f["fold_mean"].get<double>(),
                100 * f["fold_std"].get<double>(), 100 * f["eer"].get<double>(), 100 * f["tar_far1e-3"].get<double>(),
                100 * macs, 100 * params);
}

// How closely the result follows the original on the held-out people's faces (clean, aligned):
// mean cosine between the two embeddings of each face. Far less noisy than verification on a few
// thousand pairs, so it separates recipes that verification cannot.
double teacherAgreement(const graph::Graph& original, const graph::Graph& result, const data::FaceFolders& held) {
    data::LoaderOptions lo;
    lo.augment = false;
    lo.shuffle = false;
    data::FolderBatchSource faces(held, original.preprocess, lo);
    exec::Executor a(original), b(result);
    double sum = 0;
    int64_t n = 0;
    data::Batch batch;
    faces.restart(1);
    while (faces.next(batch)) {
        const Tensor ea = a.embed(batch.images), eb = b.embed(batch.images);
        const int64_t d = ea.shape[1];
        for (int64_t i = 0; i < batch.size(); ++i) {
            double dot = 0, na = 0, nb = 0;
            for (int64_t k = 0; k < d; ++k) {
                const double x = ea.data[i * d + k], y = eb.data[i * d + k];
                dot += x * y;
                na += x * x;
                nb += y * y;
            }
            sum += dot / std::sqrt(na * nb);
            ++n;
        }
    }
    return n ? sum / static_cast<double>(n) : 0.0;
}

// Paired latency of the original and the pruned model at one batch size: pruned time / original.
json speedUp(const graph::Graph& original, const graph::Graph& pruned, int batch) {
    const auto& pre = original.preprocess;
    const Tensor input = Tensor::zeros({batch, 3, pre.height, pre.width});
    exec::Executor a(original), b(pruned);
    const auto t = bench::timePair([&] { a.embed(input); }, [&] { b.embed(input); }, 3, batch == 1 ? 60 : 10);
    return {{"batch", batch}, {"original_ms", 1e3 * t.a.median}, {"pruned_ms", 1e3 * t.b.median},
            {"speed_up", 1.0 / t.ratio}};
}

// Recovery steps per second of FacePrune's trainer and of the PyTorch reference, as JSON.
json throughput(const Options& o) {
    const graph::Graph teacher = models::loadModel(o.model);
    graph::Graph student = teacher;
    constexpr int kWarmup = 2;
    const train::TrainOptions t = bench::recoveryStepOptions(kWarmup + o.steps);
    const auto& pre = teacher.preprocess;
    bench::RandomSource source(graph::Shape{3, pre.height, pre.width}, t.steps + 1, o.batch, 2);
    train::Trainer trainer(student, source, t);
    trainer.setTeacher(teacher);
    std::vector<double> stepSeconds;
    double last = 0;
    trainer.setProgress([&](const train::TrainProgress& p) {
        if (p.step > kWarmup) stepSeconds.push_back(p.seconds - last);
        last = p.seconds;
    });
    bench::resetPeakRss();
    if (o.profile > 0) {
        std::printf("costliest ops of %d recovery steps (the profiler slows them: not timed):\n", t.steps);
        return {{"batch", o.batch}, {"threads", o.threads}, {"profile", bench::profileOps([&] { trainer.run(); }, o.profile)}};
    }
    trainer.run();
    const double ours = o.batch / bench::median(stepSeconds);
    const double oursRss = bench::procStatusMiB("VmHWM");
    if (o.model != "mobilefacenet") {  // the PyTorch reference rebuilds MobileFaceNet only
        std::printf("recovery step, %s, batch %d, %d threads: FacePrune %.1f img/s (peak RSS %.0f MiB)\n",
                    o.model.c_str(), o.batch, o.threads, ours, oursRss);
        return {{"model", o.model}, {"batch", o.batch}, {"threads", o.threads}, {"faceprune_img_per_s", ours},
                {"faceprune_peak_rss_mib", oursRss}};
    }

    const std::string cmd = "/usr/bin/python3 '" FP_RECOVERY_REFERENCE "' --onnx '" +
                            assets::locate(assets::Asset::MobileFaceNet).string() + "' --threads " +
                            std::to_string(o.threads) + " --batch " + std::to_string(o.batch) + " --reps " +
                            std::to_string(o.steps) + " --relation " + std::to_string(t.relationWeight);
    json reference;
    try {
        reference = json::parse(bench::commandOutput(cmd));
    } catch (const std::exception&) {
        std::fprintf(stderr, "reference failed: %s\n", cmd.c_str());
    }
    const double theirs = reference.is_object() ? reference["images_per_second"].get<double>() : 0.0;
    std::printf("recovery step, MobileFaceNet, batch %d, %d threads: FacePrune %.1f img/s (peak RSS %.0f MiB), "
                "PyTorch %.1f img/s (peak RSS %.0f MiB): %.2fx\n",
                o.batch, o.threads, ours, oursRss, theirs,
                reference.is_object() ? reference["peak_rss_mib"].get<double>() : 0.0, theirs > 0 ? ours / theirs : 0.0);
    return {{"batch", o.batch},          {"threads", o.threads},      {"faceprune_img_per_s", ours},
            {"faceprune_peak_rss_mib", oursRss}, {"reference", reference}, {"ratio", theirs > 0 ? ours / theirs : 0.0}};
}

}  // namespace

int main(int argc, char** argv) {
    util::configureRuntime();
    Options o;
    CLI::App app("Recovery benchmark: what pruning to a MACs target keeps of face verification");
    app.add_option("--model", o.model)->capture_default_str();
    app.add_option("--targets", o.targets, "MACs shares to prune to, comma-separated")->capture_default_str();
    app.add_option("--tag", o.tag, "Name of this variant in the results and run folders")->capture_default_str();
    app.add_option("--data", o.data, "Labelled identity folders (default: $FACEPRUNE_DATA)");
    app.add_option("--unlabelled", o.unlabelled, "Unlabelled faces (default: lfw-more beside the data)");
    app.add_flag("--no-unlabelled", o.noUnlabelled, "Labelled faces only");
    app.add_option("--out", o.out, "Where run folders go (default: BUILD/bench-recovery)");
    app.add_option("--verify-fraction", o.verifyFraction)->capture_default_str();
    app.add_option("--threads", o.threads)->capture_default_str();
    app.add_option("--set", o.settings, "A run setting over the default recipe, KEY=VALUE (repeatable; keys as "
                   "faceprune-cli prune's options: per-iteration=5%, cost=macs, feature=0.5, ...)");
    app.add_flag("--throughput", o.throughput, "Time one recovery step against PyTorch instead");
    app.add_option("--batch", o.batch, "Batch of the throughput comparison")->capture_default_str();
    app.add_option("--steps", o.steps, "Timed steps of the throughput comparison")->capture_default_str();
    app.add_option("--profile", o.profile, "With --throughput: print the N costliest ops instead of timing");
    CLI11_PARSE(app, argc, argv);
    util::limitTorchThreadsOnThisThread(o.threads);
    if (o.throughput) {
        bench::writeResults(fs::path(FP_BUILD_DIR) / "bench-results.json", "recovery-throughput", throughput(o),
                            FP_SOURCE_DIR);
        return 0;
    }

    if (o.data.empty()) o.data = assets::faceDataDir().string();
    if (o.data.empty()) {
        std::fprintf(stderr, "bench_recovery: give --data or set FACEPRUNE_DATA (labelled identity folders)\n");
        return 2;
    }
    if (o.unlabelled.empty() && !o.noUnlabelled) {
        const fs::path beside = fs::path(o.data).parent_path() / "lfw-more";
        if (fs::is_directory(beside)) o.unlabelled = beside.string();
    }
    if (o.noUnlabelled) o.unlabelled.clear();
    const fs::path out = o.out.empty() ? fs::path(FP_BUILD_DIR) / "bench-recovery" : fs::path(o.out);

    const graph::Graph original = models::loadModel(o.model);
    prune::RunRequest request;
    try {
        request = recipe(o);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_recovery: %s\n", e.what());
        return 2;
    }
    const prune::DataSettings& ds = request.data;
    const auto data = std::make_shared<prune::RunData>(prune::prepareRunData(ds, original.preprocess));
    std::printf("%s: %zu training identities (%zu images) + %zu unlabelled faces; %zu held-out people, %zu pairs\n",
                o.data.c_str(), data->trainIdentities, data->trainImages, data->unlabelledImages, data->verifyIdentities,
                data->verifyPairs);
    std::fflush(stdout);

    json results = json::array();
    for (double target : parseTargets(o.targets)) {
        prune::PruneConfig config = request.config;
        config.target = prune::Target{prune::TargetKind::Macs, target};
        const fs::path dir = out / (o.model + "-" + o.tag + "-macs" + std::to_string(static_cast<int>(target * 100)));
        const auto t0 = std::chrono::steady_clock::now();
        const CancelToken never{false};
        prune::SessionEvents events;
        std::unique_ptr<prune::PruneSession> session;
        events.note = [](const std::string& line) { std::printf("%s\n", line.c_str()); };
        events.run.iterationDone = [&](const prune::IterationRecord& r, const graph::Graph&) {
            std::printf("  iteration %d: MACs %.1f%%, accuracy %.2f%%, TAR@1e-3 %.2f%% (%.0f s)\n", r.iteration,
                        100.0 * r.macs / session->pruneRun().history().originalMacs, 100 * r.metrics.at("accuracy"),
                        100 * r.metrics.at("tar_far1e-3"),
                        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
            std::fflush(stdout);
        };
        session = std::make_unique<prune::PruneSession>(never, events);
        if (prune::PruneRun::isRunDir(dir)) {
            session->resume(dir, {}, data);
        } else {
            session->start(dir, original, o.model, {config, ds}, data);
        }
        session->run();
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

        const auto& h = session->pruneRun().history();
        const graph::Graph final = io::loadNative(dir / "final.fpm");
        const double macs = static_cast<double>(final.totalCost(false).macs) / static_cast<double>(h.originalMacs);
        const double params = static_cast<double>(final.totalCost(false).params) / static_cast<double>(h.originalParams);
        json row{{"target", target},
                 {"tag", o.tag},
                 {"macs_left", macs},
                 {"params_left", params},
                 {"iterations", h.iterations.size()},
                 {"seconds_this_session", seconds},
                 {"seconds_iterations", 0.0},
                 {"seconds_recovery", h.recovery.seconds},
                 {"original", figures(h.originalMetrics)},
                 {"after_cuts", figures(h.iterations.back().metrics)},
                 {"stop_reason", h.stopReason}};
        double iterationSeconds = 0;
        for (const auto& it : h.iterations)
            for (const auto& [phase, s] : it.seconds) iterationSeconds += s;
        row["seconds_iterations"] = iterationSeconds;
        json finalFigures = figures(h.iterations.back().metrics);
        for (const auto& p : h.recovery.points) {
            if (p.step == h.recovery.bestStep) finalFigures = figures(p.metrics);
            row["last_recovery_step"] = figures(p.metrics);  // the last one wins: no selection
        }
        row["final"] = finalFigures;
        row["latency"] = {speedUp(original, final, 1), speedUp(original, final, 32)};
        row["teacher_agreement"] = teacherAgreement(original, final, data->verification);
        results.push_back(row);

        std::printf("%s at %.0f%% MACs (%s), %zu iterations, %.0f s pruning + %.0f s recovery:\n", o.model.c_str(),
                    100 * target, o.tag.c_str(), h.iterations.size(), iterationSeconds, h.recovery.seconds);
        printRow("original", row["original"], 1.0, 1.0);
        printRow("after the cuts", row["after_cuts"], macs, params);
        if (row.contains("last_recovery_step")) printRow("last recovery step", row["last_recovery_step"], macs, params);
        printRow("result (best kept)", row["final"], macs, params);
        std::printf("  mean cosine to the original's embedding on held-out faces: %.4f\n",
                    row["teacher_agreement"].get<double>());
        std::printf("  realised speed-up: batch 1 %.2fx, batch 32 %.2fx\n",
                    row["latency"][0]["speed_up"].get<double>(), row["latency"][1]["speed_up"].get<double>());
        std::printf("  accuracy change %+.2f points, TAR@1e-3 change %+.2f points\n",
                    100 * (row["final"]["accuracy"].get<double>() - row["original"]["accuracy"].get<double>()),
                    100 * (row["final"]["tar_far1e-3"].get<double>() - row["original"]["tar_far1e-3"].get<double>()));
        std::fflush(stdout);
    }
    bench::writeResults(fs::path(FP_BUILD_DIR) / "bench-results.json", "recovery-" + o.model + "-" + o.tag,
                        {{"runs", results}, {"peak_rss_mib", bench::procStatusMiB("VmHWM")},
                         {"machine", bench::machineLoad()}},
                        FP_SOURCE_DIR);
    return 0;
}
