// faceprune-cli export MODEL --out FILE.onnx [--keep-bn] [--with-head]: writes
// ONNX, then loads the file back through OpenCV and reports how far its outputs
// are from FacePrune's own executor on a fixed input.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include <opencv2/dnn.hpp>

#include "app/cli/Commands.h"
#include "exec/Executor.h"
#include "io/OnnxExporter.h"
#include "models/ModelLoader.h"
#include "util/Errors.h"
#include "util/ImageInput.h"

namespace fp::cli {

namespace {

struct Options {
    std::string model;
    std::string out;
    bool keepBn = false;
    bool withHead = false;
};

// What `export` accepts as MODEL: everything loadModel() takes (a pruning run
// directory goes here too, ahead of it).
graph::Graph loadSource(const std::string& spec) { return models::loadModel(spec); }

// Two images of seeded uniform noise at the model's input size, preprocessed as
// the model wants: the same input on every run and every machine.
Tensor checkBatch(const graph::Preprocess& pre) {
    cv::RNG rng(20240531);
    std::vector<cv::Mat> images;
    for (int i = 0; i < 2; ++i) {
        cv::Mat img(pre.height, pre.width, CV_8UC3);
        rng.fill(img, cv::RNG::UNIFORM, 0, 256);
        images.push_back(img);
    }
    return image::toBatch(images, pre);
}

struct Difference {
    float maxDiff = 0.f;
    float maxValue = 0.f;
};

Difference compare(const Tensor& ours, const cv::Mat& theirs) {
    if (static_cast<int64_t>(theirs.total()) != ours.numel())
        throw Error("OpenCV's output has " + std::to_string(theirs.total()) + " values, FacePrune's " +
                    std::to_string(ours.numel()));
    const cv::Mat flat = theirs.reshape(1, 1);
    Difference d;
    for (int64_t i = 0; i < ours.numel(); ++i) {
        d.maxDiff = std::max(d.maxDiff, std::fabs(flat.at<float>(0, static_cast<int>(i)) - ours.data[i]));
        d.maxValue = std::max(d.maxValue, std::fabs(ours.data[i]));
    }
    return d;
}

int run(const Options& opt) {
    const graph::Graph g = loadSource(opt.model);
    io::OnnxExportOptions eo;
    eo.keepBatchNorm = opt.keepBn;
    eo.withHead = opt.withHead;
    const bool head = opt.withHead && g.hasHead();
    if (opt.withHead && !g.hasHead())
        std::cerr << "note: " << g.name << " has no identification head; only the embedding is exported\n";

    const auto report = io::exportOnnx(g, opt.out, eo);
    const auto bytes = std::filesystem::file_size(opt.out);
    const auto written = io::inferenceGraph(g, eo).totalCost();
    std::printf("wrote %s: %.2f MB, %.3f M parameters, %.1f M MACs%s%s\n", opt.out.c_str(), bytes / 1e6,
                written.params / 1e6, written.macs / 1e6, opt.keepBn ? ", BatchNorm kept" : ", BatchNorm folded",
                head ? ", outputs embedding + logits" : ", output embedding");
    if (report.denormalsFlushed > 0)
        std::printf("%lld weights below float32's normal range written as 0 (they slow runtimes without "
                    "flush-to-zero and change nothing here)\n",
                    static_cast<long long>(report.denormalsFlushed));

    // Read the file back through OpenCV and run both on the same input.
    const Tensor batch = checkBatch(g.preprocess);
    std::vector<std::string> names{g.embeddingName()};
    std::vector<cv::String> onnxNames{"embedding"};
    if (head) {
        names.push_back(g.logitsName());
        onnxNames.push_back("logits");
    }
    exec::Executor executor(g);
    const auto ours = executor.run(batch, names);

    std::vector<cv::Mat> theirs;
    try {
        cv::dnn::Net net = cv::dnn::readNetFromONNX(opt.out);
        const std::vector<int> dims(batch.shape.begin(), batch.shape.end());
        net.setInput(cv::Mat(static_cast<int>(dims.size()), dims.data(), CV_32F, const_cast<float*>(batch.data.data())));
        net.forward(theirs, onnxNames);
    } catch (const cv::Exception& e) {
        std::cerr << "error: OpenCV cannot run the exported file: " << e.what() << '\n';
        return 1;
    }
    int status = 0;
    for (size_t i = 0; i < names.size(); ++i) {
        const Difference d = compare(ours.at(names[i]), theirs[i]);
        std::printf("%s: OpenCV %s vs FacePrune on a fixed batch of 2: max |diff| %.3g (values up to %.3g)\n",
                    onnxNames[i].c_str(), CV_VERSION, d.maxDiff, d.maxValue);
        // float32 rounding of a different summation order stays far below this.
        if (d.maxDiff > 1e-3f * std::max(1.f, d.maxValue)) {
            std::cerr << "warning: OpenCV's '" << onnxNames[i] << "' output disagrees with FacePrune's\n";
            status = 1;
        }
    }
    return status;
}

}  // namespace

void addExportCommand(CLI::App& app) {
    auto* cmd = app.add_subcommand("export", "Write a model as ONNX and check it in OpenCV");
    auto opt = std::make_shared<Options>();
    cmd->add_option("MODEL", opt->model, "Zoo name or model file")->required();
    cmd->add_option("--out,-o", opt->out, "ONNX file to write")->required();
    cmd->add_flag("--keep-bn", opt->keepBn, "Keep BatchNorm (and Scale) layers instead of folding them into convs");
    cmd->add_flag("--with-head", opt->withHead, "Also output the identification head's logits (when there is one)");
    cmd->callback([opt] {
        if (int code = run(*opt)) throw CLI::RuntimeError(code);
    });
}

}  // namespace fp::cli
