#include "faces/LandmarkDetector.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "util/Errors.h"

namespace fp::faces {

namespace {

constexpr int kPoints = 68;

cv::Mat forward(cv::dnn::Net& net, const cv::Mat& gray64) {
    // 0..255 / 256, one channel, as the reference preprocessing.
    net.setInput(cv::dnn::blobFromImage(gray64, 1.0 / 256.0));
    return net.forward();
}

}  // namespace

LandmarkDetector::LandmarkDetector(const std::filesystem::path& onnx) : path_(onnx) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(onnx, ec))
        throw ModelFileError(onnx.string() + ": face landmark model file not found");
    try {
        net_ = cv::dnn::readNetFromONNX(onnx.string());
    } catch (const cv::Exception& e) {
        throw ModelFileError(onnx.string() + ": cannot load the face landmark model (" + e.msg + ")");
    }
    if (net_.empty())
        throw ModelFileError(onnx.string() + ": cannot load the face landmark model (empty network)");
    try {
        const cv::Mat out = forward(net_, cv::Mat(kInputSize, kInputSize, CV_8UC1, cv::Scalar::all(127)));
        if (out.total() != 2 * kPoints || out.type() != CV_32F)
            throw ModelFileError(onnx.string() +
                                 ": not the 68-point landmark model (expected 136 outputs, got " +
                                 std::to_string(out.total()) + ")");
    } catch (const cv::Exception& e) {
        throw ModelFileError(onnx.string() + ": not a usable 64x64 landmark model (" + e.msg + ")");
    }
}

cv::Rect2f LandmarkDetector::cropFor(const cv::Rect2f& box, cv::Size image) {
    const float side =
        std::min({box.height, static_cast<float>(image.width), static_cast<float>(image.height)});
    const float cx = box.x + box.width / 2.f, cy = box.y + box.height / 2.f;
    const float x = std::clamp(cx - side / 2.f, 0.f, image.width - side);
    const float y = std::clamp(cy - side / 2.f, 0.f, image.height - side);
    return {x, y, side, side};
}

std::array<cv::Point2f, 5> LandmarkDetector::fivePoints(const std::vector<cv::Point2f>& p) {
    if (p.size() != kPoints)
        throw InputError("five-point reduction needs 68 landmarks, got " + std::to_string(p.size()));
    return {
        (p[37] + p[38] + p[40] + p[41]) / 4.f,
        (p[43] + p[44] + p[46] + p[47]) / 4.f,
        p[30],
        (p[48] + p[60]) / 2.f,
        (p[54] + p[64]) / 2.f,
    };
}

void LandmarkDetector::locate(const cv::Mat& image, Face& face) const {
    const cv::Mat bgr = detail::toBgr(image, "landmark detection");
    const cv::Rect2f crop = cropFor(face.box, bgr.size());
    // Whole pixels, as the reference crops; the outputs are mapped back through the same rect.
    const int side = static_cast<int>(std::lround(crop.width));
    const cv::Rect roi = cv::Rect(static_cast<int>(crop.x), static_cast<int>(crop.y), side, side) &
                         cv::Rect(0, 0, bgr.cols, bgr.rows);
    if (roi.width < 2 || roi.height < 2)
        throw InputError("landmark detection: the face box is empty or outside the " +
                         std::to_string(bgr.cols) + "x" + std::to_string(bgr.rows) + " image");

    cv::Mat small, gray;
    cv::resize(bgr(roi), small, cv::Size(kInputSize, kInputSize), 0, 0, cv::INTER_LINEAR);
    cv::cvtColor(small, gray, cv::COLOR_BGR2GRAY);
    const cv::Mat out = forward(net_, gray);
    const float* v = out.ptr<float>();

    // Outputs are (x, y) pairs normalised to the crop.
    face.landmarks68.resize(kPoints);
    for (int i = 0; i < kPoints; ++i)
        face.landmarks68[i] = {roi.x + v[2 * i] * roi.width, roi.y + v[2 * i + 1] * roi.height};
    face.points = fivePoints(face.landmarks68);
}

}  // namespace fp::faces
