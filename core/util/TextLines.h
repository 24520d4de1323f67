#pragma once
// Lists of names or paths kept as one string, one item per line (paths may hold any other separator).
#include <algorithm>
#include <string>
#include <vector>

namespace fp {

inline std::string joinLines(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : "\n") + s;
    return out;
}

// Empty lines are dropped.
inline std::vector<std::string> splitLines(const std::string& text) {
    std::vector<std::string> out;
    size_t begin = 0;
    while (begin < text.size()) {
        const size_t end = std::min(text.find('\n', begin), text.size());
        if (end > begin) out.push_back(text.substr(begin, end - begin));
        begin = end + 1;
    }
    return out;
}

}  // namespace fp
