// Realised speed-up of pruning: latency at batch 1 and 32 of each model before and after
// pruning to about half its MACs (L1 filter norms, one shot, with and without widths rounded
// to multiples of 8), in the LibTorch executor and in OpenCV's cv::dnn on the exported ONNX,
// printed beside the MACs ratio. Pruning ranks filters globally, as FacePrune does (the widest
// layers, late and at low resolution in these nets, lose filters first); the "even" variant takes
// the same share from every layer instead, as Torch-Pruning's default local pruning does, to show
// how much of the speed-up depends on where the MACs go rather than on the backend. The "flops"
// variant ranks globally with FacePrune's FLOPs regulariser (--flops-lambda), which moves the cut
// towards the filters that cost most MACs, early and at high resolution. The "lat" variants weigh
// each filter by the inference time its removal saves, measured per layer at batch 1 or 32
// (--latency-lambda): memory-bound high-resolution layers cost more time than their MACs say.
// Each variant runs alternately with the original; "original" against itself shows the noise.
// The executor runs its convs through oneDNN directly (exec/DnnlConv); "aten-conv" is the original
// run through LibTorch's own oneDNN call instead, and --aten-conv runs every variant that way.
//   bench_inference [--models squeezenet,mobilenetv2,resnet50,mobilefacenet] [--threads 2]
//                   [--variants original,pruned,...] [--aten-conv] [--node-times]
//                   [--keep 0.5] [--flops-lambda 0.05] [--latency-lambda 0.3]
//                   [--reps1 20] [--reps32 3] [--json build/bench-results.json]
#include <cstdio>
#include <filesystem>
#include <map>

#include <unistd.h>

#include <ATen/Parallel.h>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include "BenchCommon.h"
#include "exec/DnnlConv.h"
#include "exec/Executor.h"
#include "io/OnnxExporter.h"
#include "models/ModelLoader.h"
#include "prune/ChannelGraph.h"
#include "prune/CostModel.h"
#include "prune/LatencyModel.h"
#include "prune/Planner.h"
#include "prune/Scorer.h"
#include "prune/Surgery.h"
#include "util/Runtime.h"

using namespace fp;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// Groups in removal order: lowest score first, or (even) by their score's rank within the layers
// they belong to, as a share of those layers' groups, so that every layer loses the same share.
std::vector<int> rankGroups(const prune::ChannelGraph& cg, const std::vector<double>& scores, bool even) {
    auto ranked = cg.prunableGroups();
    std::stable_sort(ranked.begin(), ranked.end(), [&](int a, int b) { return scores[a] < scores[b]; });
    if (!even) return ranked;
    std::map<std::vector<std::string>, std::vector<int>> byLayers;
    for (int g : ranked) byLayers[cg.groups()[size_t(g)].members].push_back(g);
    std::vector<double> share(cg.groups().size(), 0.0);
    for (const auto& [layers, groups] : byLayers)
        for (size_t i = 0; i < groups.size(); ++i) share[size_t(groups[i])] = (i + 0.5) / groups.size();
    std::stable_sort(ranked.begin(), ranked.end(), [&](int a, int b) { return share[a] < share[b]; });
    return ranked;
}

// One-shot L1 pruning to at most `keep` of the MACs (the fewest groups that get there).
graph::Graph pruneToMacs(const graph::Graph& g, double keep, int roundTo, bool even, double lambda, int latencyBatch) {
    const prune::ChannelGraph cg(g);
    const prune::Scorer scorer(g, cg, prune::Criterion::L1);
    const auto scores =
        latencyBatch > 0
            ? scorer.finish(lambda, prune::savingPerGroup(g, cg, prune::measureNodeSeconds(g, latencyBatch)))
            : scorer.finish(lambda);
    const auto ranked = rankGroups(cg, scores.groups, even);
    prune::PlanConstraints c;
    c.roundTo = roundTo;
    const double target = keep * static_cast<double>(g.totalCost(false).macs);
    auto macsAt = [&](int64_t count) {
        return static_cast<double>(prune::predictCost(g, cg, prune::selectGroups(g, cg, ranked, count, c)).macs);
    };
    int64_t lo = 0, hi = static_cast<int64_t>(ranked.size());
    while (lo < hi) {
        const int64_t mid = (lo + hi) / 2;
        if (macsAt(mid) <= target)
            hi = mid;
        else
            lo = mid + 1;
    }
    graph::Graph out = g;
    prune::removeGroups(out, cg, prune::selectGroups(g, cg, ranked, lo, c));
    return out;
}

double shareMultipleOf8(const graph::Graph& g) {
    int total = 0, multiple = 0;
    for (const auto& n : g.nodes())
        if (n.op == graph::Op::Conv2d && !n.isDepthwise()) {
            ++total;
            multiple += n.outChannels % 8 == 0;
        }
    return total ? static_cast<double>(multiple) / total : 0.0;
}

// One model, ready in both backends: the LibTorch executor and cv::dnn on its exported ONNX.
struct Runnable {
    Runnable(const graph::Graph& g, const fs::path& onnx, bool directConv) : executor(g), direct(directConv) {
        io::exportOnnx(g, onnx);
        net = cv::dnn::readNetFromONNX(onnx.string());
        net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
        net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    }
    void torch(const data::Batch& b) {
        exec::DnnlConv::setEnabled(direct);
        executor.embed(b.images);
    }
    void dnn(const data::Batch& b) {
        std::vector<int> dims(b.images.shape.begin(), b.images.shape.end());
        cv::Mat blob(static_cast<int>(dims.size()), dims.data(), CV_32F, const_cast<float*>(b.images.data.data()));
        net.setInput(blob);
        net.forward("embedding");
    }
    exec::Executor executor;
    bool direct;  // convs through exec::DnnlConv, else through LibTorch's mkldnn_convolution
    cv::dnn::Net net;
};

// Where the batch-1 LibTorch time goes, summed per op kind over the nodes (median run of `reps`).
void printNodeTimes(const graph::Graph& g, Runnable& r, int reps) {
    const auto b1 = bench::randomBatch(1, g.at(g.inputName()).inputShape, 2, 3);
    exec::DnnlConv::setEnabled(r.direct);
    std::vector<std::vector<double>> runs;
    for (int i = 0; i < reps + 2; ++i) runs.push_back(r.executor.timeNodes(b1.images));
    runs.erase(runs.begin(), runs.begin() + 2);  // warm-up
    std::map<std::string, std::pair<double, int>> byOp;
    for (size_t n = 0; n < g.nodes().size(); ++n) {
        std::vector<double> t;
        for (const auto& run : runs) t.push_back(run[n]);
        std::nth_element(t.begin(), t.begin() + t.size() / 2, t.end());
        auto& slot = byOp[std::string(graph::opName(g.nodes()[n].op))];
        slot.first += t[t.size() / 2];
        ++slot.second;
    }
    std::printf("    b1 by op:");
    for (const auto& [op, v] : byOp) std::printf(" %s %.2f ms (%d)", op.c_str(), 1e3 * v.first, v.second);
    std::printf("\n");
}

struct Latency {
    double torch1 = 0, torch32 = 0, dnn1 = 0, dnn32 = 0;  // milliseconds
};

// The variant's latencies and its speed-ups over the original, each the median of paired runs
// (original, variant, original, ...), so that the machine's drift cancels out of the ratios.
std::pair<Latency, Latency> measureAgainst(Runnable& original, Runnable& variant, const graph::Shape& in, int reps1,
                                           int reps32) {
    const auto b1 = bench::randomBatch(1, in, 2, 3), b32 = bench::randomBatch(32, in, 2, 4);
    Latency ms, speedUp;
    auto pair = [&](auto run, const data::Batch& b, int warmup, int reps, double& latency, double& ratio) {
        const auto t = bench::timePair([&] { (original.*run)(b); }, [&] { (variant.*run)(b); }, warmup, reps);
        latency = 1e3 * t.b.median;
        ratio = 1.0 / t.ratio;
    };
    pair(&Runnable::torch, b1, 2, reps1, ms.torch1, speedUp.torch1);
    pair(&Runnable::torch, b32, 1, reps32, ms.torch32, speedUp.torch32);
    pair(&Runnable::dnn, b1, 2, reps1, ms.dnn1, speedUp.dnn1);
    pair(&Runnable::dnn, b32, 1, reps32, ms.dnn32, speedUp.dnn32);
    return {ms, speedUp};
}

}  // namespace

int main(int argc, char** argv) {
    util::configureRuntime();
    const bench::Args args(argc, argv);
    const auto modelNames = bench::splitList(args.get("models", "squeezenet,mobilenetv2,resnet50,mobilefacenet"));
    const int threads = args.getInt("threads", 2);
    const double keep = std::stod(args.get("keep", "0.5"));
    const double flopsLambda = std::stod(args.get("flops-lambda", "0.05"));
    const double latencyLambda = std::stod(args.get("latency-lambda", "0.3"));
    const int reps1 = args.getInt("reps1", 20), reps32 = args.getInt("reps32", 3);
    const bool atenConv = args.has("aten-conv"), nodeTimes = args.has("node-times");
    const auto variants =
        bench::splitList(args.get("variants", "original,aten-conv,pruned,pruned-r8,even-r8,flops-r8,lat1-r8,lat32-r8"));
    at::set_num_threads(threads);
    cv::setNumThreads(threads);
    const fs::path tmp = fs::temp_directory_path() / ("fp-bench-inference-" + std::to_string(::getpid()));
    fs::create_directories(tmp);

    json out;
    out["threads"] = threads;
    out["keep_macs"] = keep;
    out["flops_lambda"] = flopsLambda;
    out["latency_lambda"] = latencyLambda;
    out["conv"] = atenConv ? "aten" : "direct";
    out["load_before"] = bench::machineLoad();
    std::printf("%d thread(s) in LibTorch and cv::dnn; latency in ms (median), speed-up = original / pruned\n\n",
                threads);
    std::printf("%-14s %-10s %8s %6s %5s %9s %9s %9s %9s %6s %6s %6s %6s\n", "model", "variant", "MMACs", "x-MACs",
                "%8", "torch-b1", "torch-b32", "dnn-b1", "dnn-b32", "xt-1", "xt-32", "xd-1", "xd-32");
    try {
        for (const auto& name : modelNames) {
            const graph::Graph original = models::loadModel(name);
            const double macs0 = static_cast<double>(original.totalCost(false).macs);
            const auto& in = original.at(original.inputName()).inputShape;
            Runnable base(original, tmp / (name + "-original.onnx"), !atenConv);
            struct Variant {
                const char* name;
                int roundTo;  // 0: not pruned
                bool even;
                double flopsLambda;
                int latencyBatch;  // the cost regulariser weighs measured seconds at this batch; 0: MACs
            };
            for (const auto& [variant, roundTo, even, lambda, latencyBatch] :
                 {Variant{"original", 0, false, 0.0, 0}, Variant{"aten-conv", 0, false, 0.0, 0},
                  Variant{"pruned", 1, false, 0.0, 0}, Variant{"pruned-r8", 8, false, 0.0, 0},
                  Variant{"even-r8", 8, true, 0.0, 0}, Variant{"flops-r8", 8, false, flopsLambda, 0},
                  Variant{"lat1-r8", 8, false, latencyLambda, 1}, Variant{"lat32-r8", 8, false, latencyLambda, 32}}) {
                if (std::find(variants.begin(), variants.end(), variant) == variants.end()) continue;
                const graph::Graph g =
                    roundTo ? pruneToMacs(original, keep, roundTo, even, lambda, latencyBatch) : original;
                const double macs = static_cast<double>(g.totalCost(false).macs);
                const bool aten = atenConv || std::string(variant) == "aten-conv";
                Runnable pruned(g, tmp / (name + "-" + variant + ".onnx"), !aten);
                const auto [l, x] = measureAgainst(base, pruned, in, reps1, reps32);
                std::printf("%-14s %-10s %8.1f %6.2f %4.0f%% %9.2f %9.1f %9.2f %9.1f %6.2f %6.2f %6.2f %6.2f\n",
                            name.c_str(), variant, macs / 1e6, macs0 / macs, 100 * shareMultipleOf8(g), l.torch1,
                            l.torch32, l.dnn1, l.dnn32, x.torch1, x.torch32, x.dnn1, x.dnn32);
                if (nodeTimes) printNodeTimes(g, pruned, reps1);
                std::fflush(stdout);
                out["rows"].push_back({{"model", name}, {"variant", variant}, {"macs", macs},
                                       {"macs_ratio", macs0 / macs}, {"params", g.totalCost(false).params},
                                       {"share_widths_multiple_of_8", shareMultipleOf8(g)},
                                       {"torch_b1_ms", l.torch1}, {"torch_b32_ms", l.torch32},
                                       {"dnn_b1_ms", l.dnn1}, {"dnn_b32_ms", l.dnn32},
                                       {"speedup_torch_b1", x.torch1}, {"speedup_torch_b32", x.torch32},
                                       {"speedup_dnn_b1", x.dnn1}, {"speedup_dnn_b32", x.dnn32}});
            }
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        fs::remove_all(tmp);
        return 1;
    }
    fs::remove_all(tmp);
    out["load_after"] = bench::machineLoad();
    std::printf("\nx-MACs: original MACs / these MACs; %%8: convs whose width is a multiple of 8; "
                "xt/xd: speed-up in LibTorch / cv::dnn at batch 1 / 32; aten-conv: the original with its convs "
                "run by LibTorch's own oneDNN call (%s); even-r8: every layer loses the same share; "
                "flops-r8: ranked with the FLOPs regulariser, lambda %g; lat1-r8 / lat32-r8: ranked with the "
                "latency regulariser measured at batch 1 / 32, lambda %g\n",
                atenConv ? "as every row here" : "the others: oneDNN directly", flopsLambda, latencyLambda);
    std::printf("machine: load %.2f -> %.2f, cc1plus %d -> %d\n", out["load_before"]["loadavg_1min"].get<double>(),
                out["load_after"]["loadavg_1min"].get<double>(), out["load_before"]["cc1plus"].get<int>(),
                out["load_after"]["cc1plus"].get<int>());
    bench::writeResults(args.get("json", FP_BUILD_DIR "/bench-results.json"), "inference", out, FP_SOURCE_DIR);
    return 0;
}
