#pragma once
// Images in, network batches out: decoding with a clear error, and the model's
// own colour order and normalisation (graph::Preprocess).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "graph/Preprocess.h"
#include "graph/Tensor.h"

namespace fp::image {

// Decodes an image file to 8-bit BGR; throws fp::InputError naming the file.
cv::Mat read(const std::filesystem::path& path);

// Decodes image bytes (a file's content) to 8-bit BGR; throws fp::InputError naming `what`. Only the
// formats faces come in are decoded (JPEG, PNG, BMP, WebP, TIFF, PNM, JPEG 2000; cv::imread would also
// hand other bytes to GDAL's hundreds of drivers), and only up to kMaxImagePixels and kMaxImageSide,
// checked in the header before anything is allocated for the pixels.
cv::Mat decode(const void* data, size_t size, const std::string& what);
inline constexpr int64_t kMaxImagePixels = int64_t{1} << 26;  // 64 Mpixel, 8192 x 8192
inline constexpr int64_t kMaxImageSide = 32766;                // OpenCV's warps (face alignment) take no more

// Packs images that already have the model's input size into an [N, 3, H, W]
// batch: colour order, then (value - mean) * scale. Throws fp::InputError when
// an image has another size or is not 3-channel 8-bit.
Tensor toBatch(const std::vector<cv::Mat>& bgrImages, const graph::Preprocess& pre);

}  // namespace fp::image
