// Pruning loop costs on ResNet50 (113x113, first conv stride 1), no data needed (random images):
//   1. peak RSS of Taylor scoring at batch 32 (VmHWM, reset before scoring)
//   2. one removal step: ChannelGraph construction + selectGroups + removeGroups (5% of the groups)
//   3. one full PruneRun iteration, with the seconds per phase it records in its history:
//      scoring K batches, removal, F fine-tuning steps, evaluation (embedding E random images)
//   bench_removal [--model resnet50] [--threads 2] [--reps 5] [--scoring-batches 2]
//                 [--finetune-steps 2] [--eval-images 64] [--only rss|removal|iteration]
//                 [--json build/bench-results.json]
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>

#include <unistd.h>

#include <ATen/Parallel.h>

#include "BenchCommon.h"
#include "data/BatchSource.h"
#include "exec/Executor.h"
#include "models/ModelZoo.h"
#include "prune/ChannelGraph.h"
#include "prune/Planner.h"
#include "prune/PruneRun.h"
#include "prune/Scorer.h"
#include "prune/Surgery.h"
#include "util/Runtime.h"

using namespace fp;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr int kClasses = 100;


double secondsSince(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
    util::configureRuntime();
    const bench::Args args(argc, argv);
    const std::string model = args.get("model", "resnet50");
    const int threads = args.getInt("threads", 2), reps = args.getInt("reps", 5);
    const int scoringBatches = args.getInt("scoring-batches", 2), finetuneSteps = args.getInt("finetune-steps", 2);
    const int evalImages = args.getInt("eval-images", 64);
    const std::string only = args.get("only", "");
    auto part = [&](const char* name) { return only.empty() || only == name; };
    at::set_num_threads(threads);
    json out;
    out["model"] = model;
    out["threads"] = threads;
    out["load_before"] = bench::machineLoad();
    try {
        const graph::Graph g = models::buildZooModel(model, {.numClasses = kClasses});
        const auto& in = g.at(g.inputName()).inputShape;

        // 1. Peak memory of scoring (first, before other phases leave heap behind).
        if (part("rss")) {
            const prune::ChannelGraph cg(g);
            const data::Batch batch = bench::randomBatch(32, in, kClasses, 1);
            const double before = bench::procStatusMiB("VmRSS");
            const bool reset = bench::resetPeakRss();
            prune::Scorer scorer(g, cg, prune::Criterion::Taylor);
            const auto t = bench::timeIt([&] { scorer.accumulate(batch); }, 0, 2);
            const double peak = bench::procStatusMiB("VmHWM");
            std::printf("%s Taylor scoring, batch 32, %d thread(s): peak RSS %.0f MiB (%.0f MiB before scoring%s), "
                        "%.2f s/batch\n",
                        model.c_str(), threads, peak, before, reset ? "" : "; VmHWM could not be reset", t.median);
            out["scoring_peak_rss_mib"] = peak;
            out["rss_before_scoring_mib"] = before;
            out["scoring_seconds_per_batch"] = t.median;
        }

        // 2. One removal step, each part timed on its own.
        if (part("removal")) {
            const prune::ChannelGraph cg0(g);
            const prune::Scorer l1(g, cg0, prune::Criterion::L1);
            const auto scores = l1.finish();
            std::vector<double> tCg, tSelect, tRemove, tTotal;
            size_t removed = 0;
            for (int r = 0; r < std::max(1, reps); ++r) {
                graph::Graph copy = g;
                auto t0 = std::chrono::steady_clock::now();
                const prune::ChannelGraph cg(copy);
                tCg.push_back(secondsSince(t0));
                auto ranked = cg.prunableGroups();
                std::stable_sort(ranked.begin(), ranked.end(),
                                 [&](int a, int b) { return scores.groups[a] < scores.groups[b]; });
                t0 = std::chrono::steady_clock::now();
                const auto count = static_cast<int64_t>(std::llround(0.05 * static_cast<double>(ranked.size())));
                const auto chosen = prune::selectGroups(copy, cg, ranked, count, {});
                tSelect.push_back(secondsSince(t0));
                t0 = std::chrono::steady_clock::now();
                prune::removeGroups(copy, cg, chosen);
                tRemove.push_back(secondsSince(t0));
                tTotal.push_back(tCg.back() + tSelect.back() + tRemove.back());
                removed = chosen.size();
            }
            const prune::ChannelGraph cg(g);
            std::printf("removal step (%zu of %zu groups, %zu layers): ChannelGraph %.1f ms + selectGroups %.1f ms + "
                        "removeGroups %.1f ms = %.1f ms (median of %d)\n",
                        removed, cg.prunableGroups().size(), g.nodes().size(), 1e3 * bench::median(tCg),
                        1e3 * bench::median(tSelect), 1e3 * bench::median(tRemove), 1e3 * bench::median(tTotal),
                        reps);
            out["removal_ms"] = {{"channel_graph", 1e3 * bench::median(tCg)},
                                 {"select_groups", 1e3 * bench::median(tSelect)},
                                 {"remove_groups", 1e3 * bench::median(tRemove)},
                                 {"total", 1e3 * bench::median(tTotal)},
                                 {"groups_removed", removed}};
        }

        // 3. One full iteration through PruneRun (its own per-phase record).
        if (part("iteration")) {
            const fs::path dir = fs::temp_directory_path() / ("fp-bench-removal-" + std::to_string(::getpid()));
            fs::remove_all(dir);
            bench::RandomSource source(in, scoringBatches, 32, kClasses);
            prune::PruneConfig c;
            c.criterion = prune::Criterion::Taylor;
            c.scoringBatches = scoringBatches;
            c.finetuneSteps = finetuneSteps;
            c.maxIterations = 1;
            c.perIterationPercent = 5.0;
            // Evaluation stand-in: embedding as many images as a verification pass would.
            const prune::Evaluator evaluate = [&](const graph::Graph& m) {
                exec::Executor ex(m);
                for (int done = 0; done < evalImages; done += 32)
                    ex.embed(bench::randomBatch(std::min(32, evalImages - done), in, kClasses, 99).images);
                return prune::Evaluation{{{"embedded_images", evalImages}}, {}};
            };
            auto t0 = std::chrono::steady_clock::now();
            auto run = prune::PruneRun::start(dir, g, model, c, source, evaluate);
            const double startSeconds = secondsSince(t0);
            t0 = std::chrono::steady_clock::now();
            run.run(source, evaluate);
            const double iterationSeconds = secondsSince(t0);
            const auto& rec = run.history().iterations.at(0);
            std::printf("one iteration (%d scoring batches, %d fine-tuning steps, %d images evaluated): %.1f s "
                        "wall (start: %.1f s)\n",
                        scoringBatches, finetuneSteps, evalImages, iterationSeconds, startSeconds);
            double phases = 0;
            for (const auto& [phase, s] : rec.seconds) {
                std::printf("  %-12s %8.2f s\n", phase.c_str(), s);
                phases += s;
            }
            std::printf("  %-12s %8.2f s (checkpoint and history writes)\n", "other",
                        iterationSeconds - phases);
            out["iteration_seconds"] = rec.seconds;
            out["iteration_wall_seconds"] = iterationSeconds;
            out["start_seconds"] = startSeconds;
            out["iteration_settings"] = {{"scoring_batches", scoringBatches}, {"finetune_steps", finetuneSteps},
                                         {"eval_images", evalImages}};
            fs::remove_all(dir);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    out["load_after"] = bench::machineLoad();
    std::printf("machine: load %.2f -> %.2f, cc1plus %d -> %d\n", out["load_before"]["loadavg_1min"].get<double>(),
                out["load_after"]["loadavg_1min"].get<double>(), out["load_before"]["cc1plus"].get<int>(),
                out["load_after"]["cc1plus"].get<int>());
    bench::writeResults(args.get("json", FP_BUILD_DIR "/bench-results.json"), "removal", out, FP_SOURCE_DIR);
    return 0;
}
