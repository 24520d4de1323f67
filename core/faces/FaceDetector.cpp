#include "faces/FaceDetector.h"

#include <algorithm>

#include <opencv2/imgproc.hpp>

#include "util/Errors.h"

namespace fp::faces {

namespace {

// The exported net ends in its own prior decoding: 'boxes' are corner-form (x1, y1, x2, y2)
// normalised to 0..1, 'scores' are softmaxed (background, face) pairs, one per prior.
constexpr int kPriors = 4420;    // 40x30x3 + 20x15x2 + 10x8x2 + 5x4x3 anchors
constexpr float kNmsIou = 0.3f;  // Ultra-Light's own default
constexpr int kMaxFaces = 200;

std::vector<cv::Mat> forward(cv::dnn::Net& net, const cv::Mat& bgr) {
    // RGB, (x - 127) / 128, squeezed to 320x240 whatever the aspect ratio, as the net was trained.
    const cv::Mat blob = cv::dnn::blobFromImage(
        bgr, 1.0 / 128.0, cv::Size(FaceDetector::kInputWidth, FaceDetector::kInputHeight),
        cv::Scalar(127, 127, 127), /*swapRB=*/true, /*crop=*/false);
    net.setInput(blob);
    std::vector<cv::Mat> outs;
    net.forward(outs, std::vector<cv::String>{"scores", "boxes"});
    return outs;
}

bool hasShape(const cv::Mat& m, int priors, int width) {
    return m.total() == static_cast<size_t>(priors) * width && m.type() == CV_32F;
}

}  // namespace

cv::Mat detail::toBgr(const cv::Mat& image, const char* what) {
    if (image.empty()) throw InputError(std::string(what) + ": the image is empty");
    if (image.depth() != CV_8U)
        throw InputError(std::string(what) + ": expects an 8-bit image, got depth " +
                         std::to_string(image.depth()));
    cv::Mat bgr;
    switch (image.channels()) {
    case 3: return image;
    case 1: cv::cvtColor(image, bgr, cv::COLOR_GRAY2BGR); return bgr;
    case 4: cv::cvtColor(image, bgr, cv::COLOR_BGRA2BGR); return bgr;
    default:
        throw InputError(std::string(what) + ": expects 1, 3 or 4 channels, got " +
                         std::to_string(image.channels()));
    }
}

FaceDetector::FaceDetector(const std::filesystem::path& onnx) : path_(onnx) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(onnx, ec))
        throw ModelFileError(onnx.string() + ": face detector model file not found");
    try {
        net_ = cv::dnn::readNetFromONNX(onnx.string());
    } catch (const cv::Exception& e) {
        throw ModelFileError(onnx.string() + ": cannot load the face detector (" + e.msg + ")");
    }
    if (net_.empty()) throw ModelFileError(onnx.string() + ": cannot load the face detector (empty network)");

    // One blank pass proves the file is this detector (an unrelated ONNX fails here, not on the
    // first photo) and allocates the buffers.
    try {
        const auto outs = forward(net_, cv::Mat(kInputHeight, kInputWidth, CV_8UC3, cv::Scalar::all(127)));
        if (outs.size() != 2 || !hasShape(outs[0], kPriors, 2) || !hasShape(outs[1], kPriors, 4))
            throw ModelFileError(onnx.string() + ": not the Ultra-Light 320x240 face detector (expected " +
                                 std::to_string(kPriors) + " priors in outputs 'scores' and 'boxes')");
    } catch (const cv::Exception& e) {
        throw ModelFileError(onnx.string() + ": not a usable face detector (" + e.msg + ")");
    }
}

std::vector<Face> FaceDetector::detect(const cv::Mat& image, float minScore) const {
    const cv::Mat bgr = detail::toBgr(image, "face detection");
    const auto outs = forward(net_, bgr);
    const float* scores = outs[0].ptr<float>();
    const float* boxes = outs[1].ptr<float>();

    const float w = static_cast<float>(bgr.cols), h = static_cast<float>(bgr.rows);
    const cv::Rect2f frame(0.f, 0.f, w, h);
    std::vector<cv::Rect2d> candidates;
    std::vector<float> candidateScores;
    for (int i = 0; i < kPriors; ++i) {
        const float s = scores[2 * i + 1];
        if (s < minScore) continue;
        const float* b = boxes + 4 * i;
        const cv::Rect2f r =
            cv::Rect2f(cv::Point2f(b[0] * w, b[1] * h), cv::Point2f(b[2] * w, b[3] * h)) & frame;
        if (r.width < 1.f || r.height < 1.f) continue;
        candidates.emplace_back(r.x, r.y, r.width, r.height);
        candidateScores.push_back(s);
    }

    std::vector<int> keep;  // sorted by score, best first
    cv::dnn::NMSBoxes(candidates, candidateScores, minScore, kNmsIou, keep, 1.f, kMaxFaces);

    std::vector<Face> faces;
    faces.reserve(keep.size());
    for (int k : keep) {
        Face f;
        const cv::Rect2d& r = candidates[k];
        f.box = cv::Rect2f(static_cast<float>(r.x), static_cast<float>(r.y), static_cast<float>(r.width),
                           static_cast<float>(r.height));
        f.score = candidateScores[k];
        faces.push_back(std::move(f));
    }
    return faces;
}

}  // namespace fp::faces
