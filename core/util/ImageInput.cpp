#include "util/ImageInput.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "util/Errors.h"

namespace fp::image {

cv::Mat read(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) throw InputError(path.string() + ": no such image file");
    cv::Mat img;
    try {
        img = cv::imread(path.string(), cv::IMREAD_COLOR);
    } catch (const cv::Exception& e) {
        throw InputError(path.string() + ": cannot decode image (" + e.msg + ")");
    }
    if (img.empty()) throw InputError(path.string() + ": not a readable image (corrupt or unsupported format)");
    return img;
}

Tensor toBatch(const std::vector<cv::Mat>& bgrImages, const graph::Preprocess& pre) {
    const int64_t n = static_cast<int64_t>(bgrImages.size());
    Tensor batch = Tensor::zeros({n, 3, pre.height, pre.width});
    const size_t plane = static_cast<size_t>(pre.height) * pre.width;
    for (int64_t i = 0; i < n; ++i) {
        const cv::Mat& img = bgrImages[i];
        if (img.type() != CV_8UC3)
            throw InputError("image " + std::to_string(i + 1) + " is not 8-bit colour");
        if (img.cols != pre.width || img.rows != pre.height)
            throw InputError("image " + std::to_string(i + 1) + " is " + std::to_string(img.cols) + "x" +
                             std::to_string(img.rows) + ", the model takes " + std::to_string(pre.width) + "x" +
                             std::to_string(pre.height));
        float* out = batch.data.data() + i * 3 * plane;
        for (int y = 0; y < img.rows; ++y) {
            const auto* row = img.ptr<cv::Vec3b>(y);
            for (int x = 0; x < img.cols; ++x) {
                const size_t at = static_cast<size_t>(y) * pre.width + x;
                for (int c = 0; c < 3; ++c) {
                    // OpenCV holds BGR; network channel c reads B,G,R or R,G,B.
                    const float v = row[x][pre.bgr ? c : 2 - c];
                    out[c * plane + at] = (v - pre.mean[c]) * pre.scale[c];
                }
            }
        }
    }
    return batch;
}

}  // namespace fp::image
