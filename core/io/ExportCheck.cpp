#include "io/ExportCheck.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include <opencv2/dnn.hpp>

#include "exec/Executor.h"
#include "io/NativeFormat.h"
#include "util/ImageInput.h"

namespace fp::io {

namespace {

// Two images of seeded noise, preprocessed as the model wants: the same input
// on every machine, and every channel and position exercised.
Tensor fixedBatch(const graph::Preprocess& pre) {
    std::mt19937 rng(7311);
    std::uniform_int_distribution<int> byte(0, 255);
    std::vector<cv::Mat> images;
    for (int i = 0; i < 2; ++i) {
        cv::Mat img(pre.height, pre.width, CV_8UC3);
        for (auto it = img.begin<cv::Vec3b>(); it != img.end<cv::Vec3b>(); ++it)
            for (int c = 0; c < 3; ++c) (*it)[c] = static_cast<uchar>(byte(rng));
        images.push_back(img);
    }
    return image::toBatch(images, pre);
}

// float32 sums taken in another order differ far below this.
bool close(double diff, double scale) { return diff <= 1e-3 * std::max(1.0, scale); }

void accumulate(AgreementResult& r, const float* theirs, const Tensor& ours) {
    for (int64_t i = 0; i < ours.numel(); ++i) {
        r.maxDiff = std::max(r.maxDiff, double(std::fabs(theirs[i] - ours.data[size_t(i)])));
        r.maxValue = std::max(r.maxValue, double(std::fabs(ours.data[size_t(i)])));
    }
}

std::string verdict(const AgreementResult& r, const std::string& runtime) {
    char line[256];
    std::snprintf(line, sizeof line, "%s %s FacePrune on a fixed batch of 2: max |diff| %.3g (outputs up to %.3g)",
                  runtime.c_str(), r.agrees ? "agrees with" : "DISAGREES with", r.maxDiff, r.maxValue);
    return line;
}

}  // namespace

AgreementResult checkOnnxAgreement(const graph::Graph& g, const std::string& path, bool withHead) {
    AgreementResult r;
    const Tensor batch = fixedBatch(g.preprocess);
    std::vector<std::string> ours{g.embeddingName()};
    std::vector<cv::String> theirs{"embedding"};
    if (withHead && g.hasHead()) {
        ours.push_back(g.logitsName());
        theirs.push_back("logits");
    }
    exec::Executor executor(g);
    const auto expected = executor.run(batch, ours);
    std::vector<cv::Mat> outputs;
    try {
        cv::dnn::Net net = cv::dnn::readNetFromONNX(path);
        const std::vector<int> dims(batch.shape.begin(), batch.shape.end());
        net.setInput(cv::Mat(int(dims.size()), dims.data(), CV_32F, const_cast<float*>(batch.data.data())));
        net.forward(outputs, theirs);
    } catch (const cv::Exception& e) {
        r.text = std::string("OpenCV ") + CV_VERSION + " cannot run the exported file: " + e.what();
        return r;
    }
    r.ran = true;
    r.agrees = true;
    for (size_t i = 0; i < ours.size(); ++i) {
        const Tensor& want = expected.at(ours[i]);
        const cv::Mat got = outputs[i].isContinuous() ? outputs[i] : outputs[i].clone();
        if (static_cast<int64_t>(got.total()) != want.numel()) {
            r.agrees = false;
            r.text = "OpenCV's '" + theirs[i] + "' has " + std::to_string(got.total()) + " values, FacePrune's " +
                     std::to_string(want.numel());
            return r;
        }
        accumulate(r, got.ptr<float>(), want);
    }
    r.agrees = close(r.maxDiff, r.maxValue);
    r.text = verdict(r, std::string("OpenCV ") + CV_VERSION);
    return r;
}

AgreementResult checkNativeAgreement(const graph::Graph& g, const std::string& path) {
    AgreementResult r;
    const graph::Graph back = loadNative(path);
    const Tensor batch = fixedBatch(g.preprocess);
    exec::Executor a(g), b(back);
    const Tensor want = a.embed(batch);
    const Tensor got = b.embed(batch);
    r.ran = true;
    if (got.numel() != want.numel()) {
        r.text = "the file read back gives " + std::to_string(got.numel()) + " values, the model " +
                 std::to_string(want.numel());
        return r;
    }
    accumulate(r, got.data.data(), want);
    r.agrees = close(r.maxDiff, r.maxValue);
    r.text = verdict(r, "The file read back");
    return r;
}

}  // namespace fp::io
