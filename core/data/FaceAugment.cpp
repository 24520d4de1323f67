#include "data/FaceAugment.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace fp::data {

namespace {

// Uniform in [-1, 1).
double symmetric(SeededRandom& rng) { return rng.unit() * 2.0 - 1.0; }

}  // namespace

cv::Mat augmentFace(const cv::Mat& crop, SeededRandom& rng, const FaceAugmentOptions& o) {
    // Every draw happens whatever the outcome, so one option's change leaves the others' draws alone.
    const double dx = symmetric(rng) * o.maxShift * crop.cols, dy = symmetric(rng) * o.maxShift * crop.rows;
    const double angle = symmetric(rng) * o.maxRotation, scale = 1.0 + symmetric(rng) * o.maxScale;
    const double shift = symmetric(rng) * o.brightness * 255.0, gain = 1.0 + symmetric(rng) * o.contrast;
    const double channel[3] = {1.0 + symmetric(rng) * o.colour, 1.0 + symmetric(rng) * o.colour,
                               1.0 + symmetric(rng) * o.colour};
    const bool gray = rng.chance(o.grayscale), blur = rng.chance(o.blur), jpeg = rng.chance(o.jpeg);
    const double sigma = 0.5 + rng.unit();
    const int quality = 30 + static_cast<int>(rng.below(61));

    cv::Mat m = cv::getRotationMatrix2D(cv::Point2f(crop.cols / 2.f, crop.rows / 2.f), angle, scale);
    m.at<double>(0, 2) += dx;
    m.at<double>(1, 2) += dy;
    cv::Mat out;
    cv::warpAffine(crop, out, m, crop.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);

    // Contrast around the mean, then brightness and per-channel colour, in one affine pass a channel.
    const cv::Scalar mean = cv::mean(out);
    std::vector<cv::Mat> planes;
    cv::split(out, planes);
    for (int c = 0; c < static_cast<int>(planes.size()); ++c) {
        const double a = gain * channel[c % 3];
        planes[c].convertTo(planes[c], CV_8U, a, (mean[c] * (1.0 - gain) + shift) * channel[c % 3]);
    }
    cv::merge(planes, out);
    if (gray && out.channels() == 3) {
        cv::Mat g;
        cv::cvtColor(out, g, cv::COLOR_BGR2GRAY);
        cv::cvtColor(g, out, cv::COLOR_GRAY2BGR);
    }
    if (blur) cv::GaussianBlur(out, out, cv::Size(0, 0), sigma);
    if (jpeg) {
        std::vector<uchar> bytes;
        cv::imencode(".jpg", out, bytes, {cv::IMWRITE_JPEG_QUALITY, quality});
        out = cv::imdecode(bytes, cv::IMREAD_COLOR);
    }
    return out;
}

}  // namespace fp::data
