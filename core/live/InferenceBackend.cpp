#include "live/InferenceBackend.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <unistd.h>

#include <opencv2/dnn.hpp>

#include "exec/Executor.h"
#include "io/OnnxExporter.h"
#include "live/Gallery.h"
#include "util/Errors.h"
#include "util/ImageInput.h"

namespace fp::live {

const char* backendName(Backend b) {
    switch (b) {
        case Backend::Auto:
            return "auto";
        case Backend::LibTorch:
            return "LibTorch";
        case Backend::OpenCvDnn:
            return "OpenCV dnn";
    }
    return "?";
}

struct InferenceBackend::Impl {
    explicit Impl(const graph::Graph& g) : executor(g) {}
    exec::Executor executor;
    cv::dnn::Net net;  // empty when the model could not go through ONNX
};

namespace {

double msSince(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? -1 : v[v.size() / 2];
}

// Seeded noise crops: every pixel of the input exercised, the same on every machine.
std::vector<cv::Mat> probeCrops(const graph::Preprocess& pre, int n) {
    std::mt19937 rng(20240607);
    std::uniform_int_distribution<int> byte(0, 255);
    std::vector<cv::Mat> out;
    for (int i = 0; i < n; ++i) {
        cv::Mat img(pre.height, pre.width, CV_8UC3);
        for (auto it = img.begin<cv::Vec3b>(); it != img.end<cv::Vec3b>(); ++it)
            for (int c = 0; c < 3; ++c) (*it)[c] = static_cast<uchar>(byte(rng));
        out.push_back(img);
    }
    return out;
}

std::filesystem::path tempOnnxPath() {
    static int counter = 0;
    return std::filesystem::temp_directory_path() /
           ("faceprune-live-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + ".onnx");
}

}  // namespace

InferenceBackend::InferenceBackend(std::shared_ptr<const graph::Graph> graph, Backend want, int runs)
    : graph_(std::move(graph)) {
    if (!graph_) throw Error("no model to run");
    impl_ = std::make_unique<Impl>(*graph_);

    // Export once; OpenCV reads the whole file into memory, so the temporary goes right away.
    if (want != Backend::LibTorch) {
        const auto path = tempOnnxPath();
        try {
            io::exportOnnx(*graph_, path);
            report_.onnxBytes = std::filesystem::file_size(path);
            impl_->net = cv::dnn::readNetFromONNX(path.string());
            report_.dnnAvailable = !impl_->net.empty();
        } catch (const std::exception& e) {
            report_.note = std::string("OpenCV cannot run this model (") + e.what() + "); ";
        }
        std::error_code ec;
        std::filesystem::remove(path, ec);
    }

    if (want == Backend::LibTorch || !report_.dnnAvailable) {
        report_.chosen = Backend::LibTorch;
        report_.note += want == Backend::LibTorch ? "LibTorch chosen by the user" : "using LibTorch";
        return;
    }
    if (want == Backend::OpenCvDnn) {
        report_.chosen = Backend::OpenCvDnn;
        report_.note = "OpenCV dnn chosen by the user";
        return;
    }

    // Auto: the same crops through both, alternating so that neither gets a warmer cache; the first
    // pass of each is a warm-up (allocations, oneDNN primitive creation) and is not timed.
    const auto crops = probeCrops(graph_->preprocess, 2);
    std::vector<double> torchTimes, dnnTimes;
    report_.maxDiff = 0;
    for (int i = 0; i <= std::max(1, runs); ++i) {
        const cv::Mat& crop = crops[size_t(i) % crops.size()];
        auto t0 = std::chrono::steady_clock::now();
        const auto a = embedWith(Backend::LibTorch, crop);
        if (i) torchTimes.push_back(msSince(t0));
        t0 = std::chrono::steady_clock::now();
        const auto b = embedWith(Backend::OpenCvDnn, crop);
        if (i) dnnTimes.push_back(msSince(t0));
        for (size_t k = 0; k < a.size() && k < b.size(); ++k)
            report_.maxDiff = std::max(report_.maxDiff, double(std::fabs(a[k] - b[k])));
        if (a.size() != b.size()) report_.maxDiff = 1e9;
    }
    report_.torchMs = median(torchTimes);
    report_.dnnMs = median(dnnTimes);
    const bool agree = report_.maxDiff <= kTolerance;
    report_.chosen = agree && report_.dnnMs < report_.torchMs ? Backend::OpenCvDnn : Backend::LibTorch;
    char buf[200];
    std::snprintf(buf, sizeof buf, "LibTorch %.2f ms, OpenCV dnn %.2f ms per face; max |diff| %.1e %s -> %s",
                  report_.torchMs, report_.dnnMs, report_.maxDiff, agree ? "(agree)" : "(DISAGREE)",
                  backendName(report_.chosen));
    report_.note = buf;
}

InferenceBackend::~InferenceBackend() = default;

std::vector<float> InferenceBackend::embed(const cv::Mat& crop) { return embedWith(report_.chosen, crop); }

std::vector<float> InferenceBackend::embedWith(Backend b, const cv::Mat& crop) {
    const Tensor batch = image::toBatch({crop}, graph_->preprocess);
    std::vector<float> v;
    if (b == Backend::OpenCvDnn) {
        if (impl_->net.empty()) throw Error("OpenCV dnn is not available for model '" + graph_->name + "'");
        const std::vector<int> dims(batch.shape.begin(), batch.shape.end());
        impl_->net.setInput(cv::Mat(static_cast<int>(dims.size()), dims.data(), CV_32F,
                                    const_cast<float*>(batch.data.data())));
        const cv::Mat out = impl_->net.forward("embedding");
        const float* p = out.ptr<float>();
        v.assign(p, p + out.total());
    } else {
        v = std::move(impl_->executor.embed(batch).data);
    }
    normalise(v);
    return v;
}

}  // namespace fp::live
