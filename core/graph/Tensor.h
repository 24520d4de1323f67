#pragma once
// A plain, dense float tensor (row-major). The graph stores its weights as
// these so that only a few .cpp files ever need LibTorch.
#include <cstdint>
#include <string>
#include <vector>

namespace fp {

struct Tensor {
    std::vector<int64_t> shape;
    std::vector<float> data;

    Tensor() = default;
    Tensor(std::vector<int64_t> s, std::vector<float> d);
    static Tensor zeros(std::vector<int64_t> s);
    static Tensor filled(std::vector<int64_t> s, float value);

    int64_t numel() const;
    int64_t dim(size_t i) const { return shape.at(i); }
    bool empty() const { return data.empty(); }
    std::string shapeString() const;
};

int64_t numelOf(const std::vector<int64_t>& shape);

// Largest absolute element-wise difference; throws when shapes differ.
float maxAbsDiff(const Tensor& a, const Tensor& b);

}  // namespace fp
