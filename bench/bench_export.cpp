// bench_export [MODEL...]: ONNX file sizes and OpenCV cv::dnn latency (batch 1) of
// exported models against their source files and against narrower (hand-pruned)
// versions, beside their parameter and MAC ratios. Prints figures; no thresholds.
//
// Until the pruning engine exists, "width x0.75 / x0.50" keeps the first channels of
// every conv whose outputs reach only other convs (through BN, activations and
// depthwise convs), which is the kind of graph a pruning run produces.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>

#include <opencv2/core/utility.hpp>
#include <opencv2/dnn.hpp>

#include "graph/Graph.h"
#include "io/OnnxExporter.h"
#include "models/ModelLoader.h"
#include "util/Assets.h"
#include "util/Errors.h"
#include "util/Runtime.h"

using namespace fp;
using graph::Op;

namespace {

bool passesChannels(Op op) {
    return op == Op::BatchNorm || op == Op::Scale || op == Op::PReLU || op == Op::ReLU || op == Op::Clip ||
           op == Op::Dropout || op == Op::MaxPool || op == Op::AvgPool;
}

// Layers fed by `conv`'s channels up to the next full conv (or nullopt when a channel
// reaches an Add, Concat, Flatten ..., where cutting it would need its partners cut too).
std::optional<std::vector<std::string>> channelUsers(const graph::Graph& g, const std::string& conv) {
    std::vector<std::string> users, frontier{conv};
    while (!frontier.empty()) {
        const std::string from = frontier.back();
        frontier.pop_back();
        if (from == g.embeddingName() || from == g.logitsName()) return std::nullopt;
        for (const auto& name : g.consumers(from)) {
            const graph::Node& n = g.at(name);
            const bool depthwise = n.isDepthwise();
            if (n.op == Op::Conv2d && n.groups == 1) {
                users.push_back(name);
            } else if (passesChannels(n.op) || depthwise) {
                if (n.op == Op::PReLU && n.param("slope").numel() == 1) return std::nullopt;
                users.push_back(name);
                frontier.push_back(name);
            } else {
                return std::nullopt;
            }
        }
    }
    return users;
}

void keepFirst(Tensor& t, int64_t axis, int64_t keep) {
    const int64_t outer = numelOf({t.shape.begin(), t.shape.begin() + axis});
    const int64_t inner = numelOf({t.shape.begin() + axis + 1, t.shape.end()});
    const int64_t dim = t.dim(static_cast<size_t>(axis));
    std::vector<float> out(static_cast<size_t>(outer * keep * inner));
    for (int64_t o = 0; o < outer; ++o)
        std::copy_n(t.data.begin() + o * dim * inner, keep * inner, out.begin() + o * keep * inner);
    t.shape[static_cast<size_t>(axis)] = keep;
    t.data = std::move(out);
}

// Keeps a `fraction` of the output channels of every conv that can lose them alone.
graph::Graph narrower(graph::Graph g, double fraction) {
    std::vector<std::pair<std::string, std::vector<std::string>>> cuts;
    for (const auto& n : g.nodes())
        if (n.op == Op::Conv2d && !n.isDepthwise())
            if (auto users = channelUsers(g, n.name)) cuts.emplace_back(n.name, std::move(*users));
    for (const auto& [conv, users] : cuts) {
        graph::Node& c = g.at(conv);
        const int64_t keep = std::max<int64_t>(1, static_cast<int64_t>(c.outChannels * fraction));
        for (auto& [key, t] : c.params) keepFirst(t, 0, keep);
        c.outChannels = keep;
        for (const auto& name : users) {
            graph::Node& n = g.at(name);
            if (n.op == Op::Conv2d && n.groups == 1) {
                keepFirst(n.param("weight"), 1, keep);
            } else {
                for (auto& [key, t] : n.params) keepFirst(t, 0, keep);
                if (n.isDepthwise()) n.outChannels = n.groups = keep;
            }
        }
    }
    g.inferShapes();
    return g;
}

struct Latency {
    double median = 0, best = 0;  // ms
};

// Runs the files in turn, round after round, so that load from other processes on
// this shared machine hits every variant alike.
std::vector<Latency> cvLatency(const std::vector<std::filesystem::path>& files, const graph::Preprocess& pre,
                               int rounds) {
    std::vector<cv::dnn::Net> nets;
    for (const auto& f : files) nets.push_back(cv::dnn::readNetFromONNX(f.string()));
    cv::Mat input({1, 3, pre.height, pre.width}, CV_32F);
    cv::randn(input, 0.f, 1.f);
    std::vector<std::vector<double>> ms(files.size());
    for (int round = 0; round < rounds + 2; ++round)  // two warm-up rounds (allocation, layer fusion)
        for (size_t i = 0; i < nets.size(); ++i) {
            nets[i].setInput(input);
            const auto t0 = std::chrono::steady_clock::now();
            nets[i].forward();
            const auto t1 = std::chrono::steady_clock::now();
            if (round >= 2) ms[i].push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        }
    std::vector<Latency> out;
    for (auto& m : ms) {
        std::sort(m.begin(), m.end());
        out.push_back({m[m.size() / 2], m.front()});
    }
    return out;
}

struct Row {
    std::string variant;
    std::filesystem::path file;
    graph::NodeCost cost;
};

void report(const std::string& model, const graph::Preprocess& pre, const std::vector<Row>& rows, int runs) {
    std::vector<std::filesystem::path> files;
    for (const auto& r : rows) files.push_back(r.file);
    const std::vector<Latency> lat = cvLatency(files, pre, runs);
    const double size0 = static_cast<double>(std::filesystem::file_size(rows[0].file));
    for (size_t i = 0; i < rows.size(); ++i) {
        const auto& r = rows[i];
        const double size = static_cast<double>(std::filesystem::file_size(r.file));
        std::printf("%-14s %-22s %8.2f MB x%5.3f %8.3f M x%5.3f %8.1f M x%5.3f %8.2f ms %8.2f ms x%5.3f\n",
                    model.c_str(), r.variant.c_str(), size / 1e6, size / size0, r.cost.params / 1e6,
                    double(r.cost.params) / rows[0].cost.params, r.cost.macs / 1e6,
                    double(r.cost.macs) / rows[0].cost.macs, lat[i].median, lat[i].best,
                    lat[i].median / lat[0].median);
    }
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    util::configureRuntime();
    std::vector<std::string> models{"mobilefacenet", "faceapi-dlib", "squeezenet", "mobilenetv2", "resnet50"};
    if (argc > 1) models.assign(argv + 1, argv + argc);
    const auto dir = std::filesystem::temp_directory_path() / ("bench_export-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir);

    std::printf("cv::dnn %s, %d threads; latency: median and best of N batch-1 forward passes, the variants of a "
                "model run in turn\n",
                CV_VERSION, cv::getNumThreads());
    std::printf("%-14s %-22s %11s %6s %10s %6s %10s %6s %11s %11s %6s\n", "model", "variant", "file", "ratio", "params",
                "ratio", "MACs", "ratio", "median", "best", "ratio");
    int status = 0;
    for (const auto& name : models) {
        try {
            const graph::Graph g = models::loadModel(name);
            const int runs = g.totalCost(false).macs > 2e9 ? 5 : 30;
            io::OnnxExportOptions keep;
            keep.keepBatchNorm = true;
            std::vector<Row> rows;
            auto add = [&](const std::string& variant, const graph::Graph& graph, const io::OnnxExportOptions& opt) {
                const auto file = dir / (name + "-" + variant + ".onnx");
                io::exportOnnx(graph, file, opt);
                rows.push_back({variant, file, io::inferenceGraph(graph, opt).totalCost()});
            };
            // The reference row: the source file when it is ONNX, else the export with BN kept.
            if (name == "mobilefacenet") {
                rows.push_back({"npm file", assets::locate(assets::Asset::MobileFaceNet), g.totalCost(false)});
            } else {
                add(std::string(name == "faceapi-dlib" ? "Scale" : "BatchNorm") + " kept", g, keep);
            }
            add("exported", g, {});
            for (double f : {0.75, 0.5}) add("width x" + std::to_string(f).substr(0, 4), narrower(g, f), {});
            report(name, g.preprocess, rows, runs);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "%s: %s\n", name.c_str(), e.what());
            status = 1;
        }
    }
    std::filesystem::remove_all(dir);
    return status;
}
