#include "jobs/AgreementCheck.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <opencv2/dnn.hpp>

#include "exec/Executor.h"
#include "io/NativeFormat.h"
#include "util/ImageInput.h"

namespace fp::jobs {

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

QString verdict(const AgreementResult& r, const QString& runtime) {
    return QStringLiteral("%1 %2 FacePrune on a fixed batch of 2: max |difference| %3 (outputs up to %4)")
        .arg(runtime, r.agrees ? QStringLiteral("agrees with") : QStringLiteral("DISAGREES with"))
        .arg(r.maxDiff, 0, 'g', 3)
        .arg(r.maxValue, 0, 'g', 3);
}

}  // namespace

AgreementResult AgreementCheck::onnx(const graph::Graph& g, const QString& path, bool withHead) {
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
        cv::dnn::Net net = cv::dnn::readNetFromONNX(path.toStdString());
        const std::vector<int> dims(batch.shape.begin(), batch.shape.end());
        net.setInput(cv::Mat(int(dims.size()), dims.data(), CV_32F, const_cast<float*>(batch.data.data())));
        net.forward(outputs, theirs);
    } catch (const cv::Exception& e) {
        r.text = QStringLiteral("OpenCV %1 cannot run the exported file: %2").arg(CV_VERSION, e.what());
        return r;
    }
    r.ran = true;
    r.agrees = true;
    for (size_t i = 0; i < ours.size(); ++i) {
        const Tensor& want = expected.at(ours[i]);
        const cv::Mat got = outputs[i].isContinuous() ? outputs[i] : outputs[i].clone();
        if (static_cast<int64_t>(got.total()) != want.numel()) {
            r.agrees = false;
            r.text = QStringLiteral("OpenCV's '%1' has %2 values, FacePrune's %3")
                         .arg(QString::fromStdString(theirs[i]))
                         .arg(got.total())
                         .arg(want.numel());
            return r;
        }
        accumulate(r, got.ptr<float>(), want);
    }
    r.agrees = close(r.maxDiff, r.maxValue);
    r.text = verdict(r, QStringLiteral("OpenCV %1").arg(CV_VERSION));
    return r;
}

AgreementResult AgreementCheck::native(const graph::Graph& g, const QString& path) {
    AgreementResult r;
    const graph::Graph back = io::loadNative(path.toStdString());
    const Tensor batch = fixedBatch(g.preprocess);
    exec::Executor a(g), b(back);
    const Tensor want = a.embed(batch);
    const Tensor got = b.embed(batch);
    r.ran = true;
    if (got.numel() != want.numel()) {
        r.text = QStringLiteral("the file read back gives %1 values, the model %2").arg(got.numel()).arg(want.numel());
        return r;
    }
    accumulate(r, got.data.data(), want);
    r.agrees = close(r.maxDiff, r.maxValue);
    r.text = verdict(r, QStringLiteral("The file read back"));
    return r;
}

}  // namespace fp::jobs
