#pragma once
// Images in, network batches out: decoding with a clear error, and the model's
// own colour order and normalisation (graph::Preprocess).
#include <filesystem>
#include <vector>

#include <opencv2/core.hpp>

#include "graph/Preprocess.h"
#include "graph/Tensor.h"

namespace fp::image {

// Decodes an image file to 8-bit BGR; throws fp::InputError naming the file.
cv::Mat read(const std::filesystem::path& path);

// Packs images that already have the model's input size into an [N, 3, H, W]
// batch: colour order, then (value - mean) * scale. Throws fp::InputError when
// an image has another size or is not 3-channel 8-bit.
Tensor toBatch(const std::vector<cv::Mat>& bgrImages, const graph::Preprocess& pre);

}  // namespace fp::image
