#pragma once
// Shapes declared by a model file: a reader checks one before it allocates for it, so that a corrupt
// or hostile file ("shape": [1000000, 1000000]) is refused with a message instead of exhausting
// memory, and no element count overflows on the way.
#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

namespace fp::io {

// Elements of `shape`, or -1 when a dimension is negative or the count exceeds `limit`. The other
// dimensions of an empty shape are held to the limit too: [0, 2^62, 99] is no more plausible, and
// code that multiplies its dimensions in another order would overflow.
inline int64_t boundedNumel(const std::vector<int64_t>& shape, int64_t limit) {
    int64_t n = 1;
    bool empty = false;
    for (int64_t d : shape) {
        if (d < 0) return -1;
        empty |= d == 0;
        const int64_t factor = d == 0 ? 1 : d;
        if (n > limit / factor) return -1;
        n *= factor;
    }
    return empty ? 0 : n;
}

// The declared element count for a message ("1e+12 elements"), also when it does not fit in int64_t.
inline std::string declaredNumel(const std::vector<int64_t>& shape) {
    auto text = [](double n) {
        if (std::fabs(n) < 1e9) return std::to_string(static_cast<int64_t>(n));
        std::ostringstream out;
        out << n;
        return out.str();
    };
    double n = 1, nonZero = 1;
    for (int64_t d : shape) {
        n *= static_cast<double>(d);
        if (d != 0) nonZero *= static_cast<double>(d);
    }
    if (n == 0 && nonZero != 1) return "0 elements, but the other dimensions multiply to " + text(nonZero);
    return text(n) + " elements";
}

inline std::string shapeText(const std::vector<int64_t>& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
    return s + "]";
}

}  // namespace fp::io
