#include "eval/Pairs.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <sstream>
#include <string>

#include "data/SeededRandom.h"
#include "util/Errors.h"

namespace fp::eval {

namespace fs = std::filesystem;

size_t PairList::matched() const {
    return static_cast<size_t>(
        std::count_if(pairs.begin(), pairs.end(), [](const Pair& p) { return p.same; }));
}

namespace {

std::vector<std::string> tokens(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> out;
    for (std::string t; in >> t;) out.push_back(t);
    return out;
}

std::optional<int> positive(const std::string& s) {
    int v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || v <= 0) return std::nullopt;
    return v;
}

class LfwReader {
public:
    LfwReader(const fs::path& file, const fs::path& root) : file_(file), root_(root) {}

    PairList read() {
        std::error_code ec;
        if (!fs::is_regular_file(file_, ec)) throw InputError(file_.string() + ": pairs file not found");
        if (!fs::is_directory(root_, ec))
            throw InputError(root_.string() + ": image folder for " + file_.filename().string() +
                             " not found");
        std::ifstream in(file_);
        if (!in) throw InputError(file_.string() + ": cannot open the pairs file");

        std::string line;
        int lineNo = 0;
        std::vector<std::string> t;
        while (t.empty() && std::getline(in, line)) {
            ++lineNo;
            t = tokens(line);
        }
        if (t.empty())
            throw InputError(file_.string() + ": empty pairs file (expected a header like '10 300')");
        const int headerLine = lineNo;
        std::optional<int> folds = 1, perClass;
        if (t.size() == 2) {
            folds = positive(t[0]);
            perClass = positive(t[1]);
        } else if (t.size() == 1) {
            perClass = positive(t[0]);
        }
        if (!folds || !perClass || t.size() > 2)
            throw InputError(where(lineNo) + "expected the header 'FOLDS PAIRS' (e.g. '10 300'), got '" +
                             trim(line) + "'");
        const int64_t total = int64_t{*folds} * 2 * *perClass;
        const std::string announced = "the header (line " + std::to_string(headerLine) + ") announces " +
                                      std::to_string(*folds) + " fold(s) x (" + std::to_string(*perClass) +
                                      " matched + " + std::to_string(*perClass) +
                                      " mismatched) = " + std::to_string(total) + " pairs";

        PairList out;
        out.folds = *folds;
        int64_t seen = 0;
        while (std::getline(in, line)) {
            ++lineNo;
            t = tokens(line);
            if (t.empty()) continue;
            if (seen >= total) throw InputError(where(lineNo) + "more pairs than expected: " + announced);
            const int64_t perFold = int64_t{2} * *perClass;  // in 64 bits: a header like '1 1500000000' fits
            const int fold = static_cast<int>(seen / perFold);
            const int64_t inFold = seen % perFold;
            const bool expectMatched = inFold < *perClass;
            if (t.size() != 3 && t.size() != 4)
                throw InputError(where(lineNo) + "expected 'name n1 n2' (matched) or 'name1 n1 name2 n2' " +
                                 "(mismatched), got '" + trim(line) + "'");
            const bool isMatched = t.size() == 3;
            if (isMatched != expectMatched) {
                throw InputError(where(lineNo) + "found a " + (isMatched ? "matched" : "mismatched") +
                                 " pair where fold " + std::to_string(fold + 1) + " should have its " +
                                 (expectMatched
                                      ? "matched pair " + std::to_string(inFold + 1)
                                      : "mismatched pair " + std::to_string(inFold - *perClass + 1)) +
                                 " of " + std::to_string(*perClass) + " (" + announced + ")");
            }
            Pair p;
            p.same = isMatched;
            p.fold = fold;
            if (isMatched) {
                p.a = image(t[0], t[1], lineNo);
                p.b = image(t[0], t[2], lineNo);
            } else {
                if (t[0] == t[2])
                    throw InputError(where(lineNo) + "a mismatched pair names the same person twice ('" +
                                     t[0] + "')");
                p.a = image(t[0], t[1], lineNo);
                p.b = image(t[2], t[3], lineNo);
            }
            out.pairs.push_back(p);
            ++seen;
        }
        if (seen < total)
            throw InputError(file_.string() + ": " + announced + ", but the file ends after " +
                             std::to_string(seen));
        if (!firstMissing_.empty()) {
            std::string msg = firstMissing_;
            if (missing_ > 1)
                msg += " (and " + std::to_string(missing_ - 1) + " more missing image reference(s))";
            throw InputError(msg);
        }
        out.images = std::move(images_);
        return out;
    }

private:
    std::string where(int line) const { return file_.string() + ":" + std::to_string(line) + ": "; }
    static std::string trim(const std::string& s) {
        const auto b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
        return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
    }

    int image(const std::string& name, const std::string& number, int lineNo) {
        const auto n = positive(number);
        if (!n) throw InputError(where(lineNo) + "'" + number + "' is not an image number (1, 2, ...)");
        char file[32];
        std::snprintf(file, sizeof file, "_%04d.jpg", *n);
        const fs::path path = root_ / name / (name + file);
        if (auto it = index_.find(path); it != index_.end()) return it->second;
        std::error_code ec;
        if (!fs::is_regular_file(path, ec)) {
            if (missing_++ == 0) firstMissing_ = where(lineNo) + "image " + path.string() + " does not exist";
        }
        const int i = static_cast<int>(images_.size());
        images_.push_back(path);
        index_.emplace(path, i);
        return i;
    }

    fs::path file_, root_;
    std::vector<fs::path> images_;
    std::map<fs::path, int> index_;
    int missing_ = 0;
    std::string firstMissing_;
};

}  // namespace

PairList readLfwPairs(const fs::path& pairsFile, const fs::path& imageRoot) {
    return LfwReader(pairsFile, imageRoot).read();
}

PairList generatePairs(const data::FaceFolders& folders, uint64_t seed, int folds) {
    const auto& ids = folders.identities();
    const int n = static_cast<int>(ids.size());
    if (n < 2)
        throw InputError(folders.root().string() +
                         ": verification pairs need at least two identities, found " + std::to_string(n));
    folds = std::clamp(folds, 1, n);

    PairList out;
    out.folds = folds;
    std::vector<int> first(n);  // index of each identity's first image in out.images
    for (int i = 0; i < n; ++i) {
        first[i] = static_cast<int>(out.images.size());
        out.images.insert(out.images.end(), ids[i].images.begin(), ids[i].images.end());
    }

    // Deal identities to folds in a seeded order, round robin: fold sizes differ by at most one.
    std::vector<int> order(n);
    std::iota(order.begin(), order.end(), 0);
    data::SeededRandom rng(seed);
    rng.shuffle(order);
    std::vector<std::vector<int>> members(folds);
    for (int k = 0; k < n; ++k) members[k % folds].push_back(order[k]);
    for (auto& m : members) std::sort(m.begin(), m.end());

    for (int f = 0; f < folds; ++f) {
        size_t matched = 0;
        for (int id : members[f]) {
            const int count = static_cast<int>(ids[id].images.size());
            for (int i = 0; i < count; ++i)
                for (int j = i + 1; j < count; ++j)
                    out.pairs.push_back({first[id] + i, first[id] + j, true, f});
            matched += static_cast<size_t>(count) * (count - 1) / 2;
        }

        // Mismatched: a random pair of this fold's identities, a random image of each. A fold of
        // one person pairs it with people of other folds.
        std::vector<std::pair<int, int>> people;
        const auto& m = members[f];
        for (size_t i = 0; i < m.size(); ++i)
            for (size_t j = i + 1; j < m.size(); ++j) people.emplace_back(m[i], m[j]);
        if (people.empty())
            for (int other = 0; other < n; ++other)
                if (other != m[0]) people.emplace_back(std::min(m[0], other), std::max(m[0], other));
        size_t possible = 0;
        for (auto [p, q] : people) possible += ids[p].images.size() * ids[q].images.size();
        const size_t want = std::min(matched, possible);

        std::set<std::pair<int, int>> chosen;
        if (want * 2 > possible) {
            // Dense: list every candidate and take a seeded sample (rejection would crawl).
            std::vector<std::pair<int, int>> all;
            for (auto [p, q] : people)
                for (size_t i = 0; i < ids[p].images.size(); ++i)
                    for (size_t j = 0; j < ids[q].images.size(); ++j)
                        all.emplace_back(first[p] + static_cast<int>(i), first[q] + static_cast<int>(j));
            rng.shuffle(all);
            chosen.insert(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(want));
        } else {
            while (chosen.size() < want) {
                const auto [p, q] = people[rng.below(people.size())];
                const int a = first[p] + static_cast<int>(rng.below(ids[p].images.size()));
                const int b = first[q] + static_cast<int>(rng.below(ids[q].images.size()));
                chosen.emplace(a, b);
            }
        }
        for (auto [a, b] : chosen) out.pairs.push_back({a, b, false, f});
    }
    if (out.matched() == 0)
        throw InputError(folders.root().string() +
                         ": no identity has two images, so there is no matched pair");
    return out;
}

}  // namespace fp::eval
