#include "graph/Tensor.h"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace fp {

int64_t numelOf(const std::vector<int64_t>& shape) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

Tensor::Tensor(std::vector<int64_t> s, std::vector<float> d) : shape(std::move(s)), data(std::move(d)) {
    if (numelOf(shape) != static_cast<int64_t>(data.size()))
        throw std::invalid_argument("tensor of shape " + shapeString() + " given " +
                                    std::to_string(data.size()) + " values");
}

Tensor Tensor::zeros(std::vector<int64_t> s) { return filled(std::move(s), 0.0f); }

Tensor Tensor::filled(std::vector<int64_t> s, float value) {
    Tensor t;
    t.shape = std::move(s);
    t.data.assign(static_cast<size_t>(numelOf(t.shape)), value);
    return t;
}

int64_t Tensor::numel() const { return static_cast<int64_t>(data.size()); }

std::string Tensor::shapeString() const {
    std::ostringstream out;
    out << '[';
    for (size_t i = 0; i < shape.size(); ++i) out << (i ? "x" : "") << shape[i];
    out << ']';
    return out.str();
}

float maxAbsDiff(const Tensor& a, const Tensor& b) {
    if (a.shape != b.shape)
        throw std::invalid_argument("cannot compare tensors of shapes " + a.shapeString() + " and " +
                                    b.shapeString());
    float worst = 0.0f;
    for (size_t i = 0; i < a.data.size(); ++i) worst = std::max(worst, std::fabs(a.data[i] - b.data[i]));
    return worst;
}

}  // namespace fp
