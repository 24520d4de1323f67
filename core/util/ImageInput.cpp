#include "util/ImageInput.h"

#include <cstring>
#include <fstream>
#include <limits>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "util/Errors.h"
#include "util/ImageHeader.h"

namespace fp::image {

cv::Mat decode(const void* data, size_t size, const std::string& what) {
    const auto* d = static_cast<const uint8_t*>(data);
    const ImageHeader h = readImageHeader(d, size);
    if (!h.format)
        throw InputError(what + ": not an image FacePrune reads (JPEG, PNG, BMP, WebP, TIFF, PNM or JPEG 2000)");
    // OpenCV gives the bytes to the first decoder whose signature test passes. Two test bytes further
    // in: GDCM's (DICOM: "DICM" at byte 128) comes before JPEG 2000's, and GDAL's ("DTED" at 140) takes
    // what the others refuse, such as a WebP libwebp's stricter test rejects. Neither is for faces.
    if ((size >= 132 && std::memcmp(d + 128, "DICM", 4) == 0) || (size >= 144 && std::memcmp(d + 140, "DTED", 4) == 0))
        throw InputError(what + ": corrupt " + h.format + " (it carries a DICOM or DTED signature, which OpenCV " +
                         "would decode instead)");
    if (h.width <= 0 || h.height <= 0)
        throw InputError(what + ": corrupt " + h.format + " (its header gives no image size)");
    // Checked before OpenCV allocates the pixels (it would accept up to 2^30 pixels, 3 GiB).
    if (h.width > kMaxImageSide || h.height > kMaxImageSide || h.width * h.height > kMaxImagePixels)
        throw InputError(what + ": the " + h.format + " header declares " + std::to_string(h.width) + "x" +
                         std::to_string(h.height) + " pixels; FacePrune reads images of up to " +
                         std::to_string(kMaxImagePixels >> 20) + " Mpixel and " + std::to_string(kMaxImageSide) +
                         " pixels a side");
    if (size > static_cast<size_t>(std::numeric_limits<int>::max()))
        throw InputError(what + ": " + std::to_string(size) + " bytes is too large for an image");
    cv::Mat img;
    try {
        img = cv::imdecode(cv::Mat(1, static_cast<int>(size), CV_8U, const_cast<uint8_t*>(d)), cv::IMREAD_COLOR);
    } catch (const cv::Exception& e) {
        throw InputError(what + ": cannot decode image (" + e.msg + ")");
    }
    if (img.empty()) throw InputError(what + ": not a readable image (corrupt " + h.format + ")");
    return img;
}

cv::Mat read(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) throw InputError(path.string() + ": no such image file");
    const auto size = std::filesystem::file_size(path, ec);
    // Read whole (not by cv::imread), so that the bytes checked are the bytes decoded.
    if (ec || size > (uintmax_t{1} << 29))
        throw InputError(path.string() + ": cannot read the image file (" +
                         (ec ? ec.message() : std::to_string(size) + " bytes is too large for an image") + ")");
    std::vector<uint8_t> bytes(static_cast<size_t>(size));
    std::ifstream in(path, std::ios::binary);
    if (!in || !in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size())))
        throw InputError(path.string() + ": cannot read the image file");
    return decode(bytes.data(), bytes.size(), path.string());
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
