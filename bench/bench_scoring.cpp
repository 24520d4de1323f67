// Taylor scoring throughput of the engine against the PyTorch script a user would write
// (bench/reference/taylor_reference.py, run here with Debian's python3-torch: same LibTorch,
// same machine, same thread count), beside the engine's own forward-only throughput.
//   bench_scoring [--models squeezenet,mobilenetv2,resnet50,mobilefacenet] [--threads 1,2]
//                 [--batch 32] [--warmup 1] [--reps 3] [--json build/bench-results.json]
//                 [--no-reference] [--reference-modes train,eval] [--python /usr/bin/python3]
//                 [--reference-malloc]   (run the reference with the engine's malloc settings too)
//                 [--profile N]          (after timing: the N costliest ops of one forward and one scoring batch)
//                 [--micro-batch N]      (score N images at a time instead of what the memory budget allows)
//                 [--aten-conv]          (convs through LibTorch's own oneDNN calls, not exec/DnnlConv)
#include <cstdio>
#include <cstdlib>
#include <map>

#include <ATen/Parallel.h>

#include "BenchCommon.h"
#include "OpProfile.h"
#include "exec/DnnlConv.h"
#include "exec/Executor.h"
#include "models/ModelLoader.h"
#include "models/ModelZoo.h"
#include "prune/ChannelGraph.h"
#include "prune/Scorer.h"
#include "util/Assets.h"
#include "util/Errors.h"
#include "util/Runtime.h"

using namespace fp;
using nlohmann::json;

namespace {

constexpr int kClasses = 100;

graph::Graph benchModel(const std::string& name) {
    graph::Graph g = models::isZooName(name) ? models::buildZooModel(name, {.numClasses = kClasses})
                                             : models::loadModel(name);
    bench::ensureHead(g, kClasses);
    return g;
}

// The reference's JSON for one model and thread count; null when it failed.
json runReference(const bench::Args& args, const std::string& model, int threads, int batch) {
    std::string cmd;
    if (args.has("reference-malloc"))
        cmd += "MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=68719476736 MALLOC_TOP_PAD_=1073741824 ";
    cmd += args.get("python", "/usr/bin/python3") + " '" FP_TAYLOR_REFERENCE "' --models " + model +
           " --threads " + std::to_string(threads) + " --batch " + std::to_string(batch) +
           " --modes " + args.get("reference-modes", "train,eval") +
           " --warmup " + std::to_string(args.getInt("warmup", 1)) + " --reps " + std::to_string(args.getInt("reps", 3));
    if (model == "mobilefacenet") cmd += " --onnx '" + assets::locate(assets::Asset::MobileFaceNet).string() + "'";
    const std::string out = bench::commandOutput(cmd);
    try {
        return json::parse(out);
    } catch (const std::exception&) {
        std::fprintf(stderr, "reference failed: %s\n", cmd.c_str());
        return nullptr;
    }
}

}  // namespace

int main(int argc, char** argv) {
    const int libtorchDefault = at::get_num_threads();
    util::configureRuntime();
    const bench::Args args(argc, argv);
    const auto modelNames = bench::splitList(args.get("models", "squeezenet,mobilenetv2,resnet50,mobilefacenet"));
    const auto threadList = bench::splitList(args.get("threads", "1,2"));
    const int batchSize = args.getInt("batch", 32);
    const int warmup = args.getInt("warmup", 1), reps = args.getInt("reps", 3);
    const bool reference = !args.has("no-reference");
    exec::DnnlConv::setEnabled(!args.has("aten-conv"));

    json out;
    out["libtorch_default_threads"] = libtorchDefault;
    out["threads_after_configure"] = at::get_num_threads();  // what FacePrune binaries run with
    out["batch"] = batchSize;
    out["direct_conv"] = exec::DnnlConv::enabled();
    out["load_before"] = bench::machineLoad();
    std::printf("intra-op threads: LibTorch default %d, after util::configureRuntime() %d\n", libtorchDefault,
                at::get_num_threads());
    std::printf("batch %d, median of %d after %d warm-up; img/s (higher is better)\n\n", batchSize, reps, warmup);
    std::printf("%-14s %3s %9s %9s %7s %9s %9s %9s %7s %7s %8s\n", "model", "thr", "forward", "scoring", "scr/fwd",
                "worker", "py-train", "py-eval", "x-train", "x-eval", "peakMiB");
    try {
        for (const auto& name : modelNames) {
            const graph::Graph g = benchModel(name);
            const prune::ChannelGraph cg(g);
            const auto& in = g.at(g.inputName()).inputShape;
            const data::Batch batch = bench::randomBatch(batchSize, in, kClasses, 1);
            for (const auto& t : threadList) {
                const int threads = std::stoi(t);
                at::set_num_threads(threads);
                json row{{"model", name}, {"threads", threads}, {"input", in.toString()}};

                bench::Timing fwd, scr, worker;
                double rssBefore = 0, peak = 0, scoringOverForward = 0;
                {  // the engine's objects go before the reference runs
                    exec::Executor executor(g);
                    bench::resetPeakRss();
                    rssBefore = bench::procStatusMiB("VmRSS");
                    prune::Scorer scorer(g, cg, prune::Criterion::Taylor);
                    scorer.setMaxMicroBatch(args.getInt("micro-batch", 0));
                    row["micro_batch"] = scorer.microBatch(batchSize);
                    const auto paired = bench::timePair([&] { executor.run(batch.images, {g.logitsName()}); },
                                                        [&] { scorer.accumulate(batch); }, warmup, reps);
                    fwd = paired.a;
                    scr = paired.b;
                    scoringOverForward = paired.ratio;
                    peak = bench::procStatusMiB("VmHWM");
                    worker = bench::timeOnWorkerThread([&] { scorer.accumulate(batch); }, warmup, reps);
                    if (const int top = args.getInt("profile", 0); top > 0) {
                        std::printf("  %s, %d threads: one forward batch\n", name.c_str(), threads);
                        row["forward_profile"] =
                            bench::profileOps([&] { executor.run(batch.images, {g.logitsName()}); }, top);
                        std::printf("  one scoring batch\n");
                        row["scoring_profile"] = bench::profileOps([&] { scorer.accumulate(batch); }, top);
                    }
                }

                const double fwdIps = batchSize / fwd.median, scrIps = batchSize / scr.median;
                row["forward_images_per_second"] = fwdIps;
                row["forward_seconds"] = fwd.all;
                row["forward_cpu_seconds"] = fwd.cpuMedian;
                row["scoring_cpu_seconds"] = scr.cpuMedian;
                row["scoring_images_per_second"] = scrIps;
                row["scoring_seconds"] = scr.all;
                row["scoring_over_forward"] = scoringOverForward;  // median of paired repetitions
                row["scoring_peak_rss_mib"] = peak;
                row["scoring_minor_faults_per_batch"] = scr.minorFaultsMedian;
                row["worker_thread_scoring_images_per_second"] = batchSize / worker.median;
                row["worker_thread_scoring_minor_faults_per_batch"] = worker.minorFaultsMedian;
                row["rss_before_scoring_mib"] = rssBefore;

                double py[2] = {0, 0};
                if (reference) {
                    std::fflush(stdout);
                    const json ref = runReference(args, name, threads, batchSize);
                    if (!ref.is_null()) {
                        row["reference"] = ref["results"];
                        for (const auto& r : ref["results"]) {
                            const double ips = r["images_per_second"].get<double>();
                            if (r["mode"] == "train") py[0] = ips;
                            if (r["mode"] == "eval") py[1] = ips;
                            row["ratio_vs_reference_" + r["mode"].get<std::string>()] = scrIps / ips;
                        }
                    }
                }
                std::printf("%-14s %3d %9.2f %9.2f %7.2f %9.2f %9.2f %9.2f %7.2f %7.2f %8.0f\n", name.c_str(), threads,
                            fwdIps, scrIps, scoringOverForward, batchSize / worker.median, py[0], py[1],
                            py[0] > 0 ? scrIps / py[0] : 0.0, py[1] > 0 ? scrIps / py[1] : 0.0, peak);
                std::fflush(stdout);
                out["rows"].push_back(row);
            }
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    out["load_after"] = bench::machineLoad();
    std::printf("\nscr/fwd: a scoring batch over the forward-only batch timed beside it (median); worker: scoring "
                "on a thread of its own, as the workbench's jobs run it; x-train / x-eval: engine scoring over the "
                "reference (train / eval mode)\n");
    std::printf("machine: load %.2f -> %.2f, cc1plus %d -> %d\n", out["load_before"]["loadavg_1min"].get<double>(),
                out["load_after"]["loadavg_1min"].get<double>(), out["load_before"]["cc1plus"].get<int>(),
                out["load_after"]["cc1plus"].get<int>());
    bench::writeResults(args.get("json", FP_BUILD_DIR "/bench-results.json"), "scoring", out, FP_SOURCE_DIR);
    return 0;
}
