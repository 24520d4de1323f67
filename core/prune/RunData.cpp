#include "prune/RunData.h"

#include <algorithm>

#include "data/UnlabelledFaces.h"
#include "prune/VerificationEvaluator.h"
#include "util/Errors.h"
#include "util/TextLines.h"

namespace fp::prune {

std::map<std::string, std::string> DataSettings::toMap() const {
    return {{"train_dir", trainDir},
            {"limit_identities", std::to_string(limitIdentities)},
            {"verify_fraction", std::to_string(verifyFraction)},
            {"pairs_file", pairsFile},
            {"pairs_images", pairsImages},
            {"batch_size", std::to_string(batchSize)},
            {"flip", flip ? "1" : "0"},
            {"augment", augment ? "1" : "0"},
            {"seed", std::to_string(seed)},
            {"cache_dir", cacheDir},
            {"jitter", jitter ? "1" : "0"},
            {"unlabelled_dirs", joinLines(unlabelledDirs)}};
}

DataSettings DataSettings::fromMap(const std::map<std::string, std::string>& m) {
    DataSettings s;
    try {
        s.trainDir = m.at("train_dir");
        s.limitIdentities = std::stoi(m.at("limit_identities"));
        s.verifyFraction = std::stod(m.at("verify_fraction"));
        s.batchSize = std::stoi(m.at("batch_size"));
        s.flip = m.at("flip") == "1";
        s.augment = m.at("augment") == "1";
        s.seed = std::stoull(m.at("seed"));
        s.cacheDir = m.at("cache_dir");
        // Runs made before pairs files existed have no such keys.
        if (auto it = m.find("pairs_file"); it != m.end()) s.pairsFile = it->second;
        if (auto it = m.find("pairs_images"); it != m.end()) s.pairsImages = it->second;
        // Runs made before recovery data existed: flips only, no unlabelled faces.
        s.jitter = m.count("jitter") && m.at("jitter") == "1";
        if (auto it = m.find("unlabelled_dirs"); it != m.end()) s.unlabelledDirs = splitLines(it->second);
    } catch (const std::exception&) {
        throw Error("the run's data settings are incomplete; give the training folder again");
    }
    return s;
}

RunData prepareRunData(const DataSettings& s, const graph::Preprocess& pre) {
    data::ScanOptions scan;
    scan.limitIdentities = s.limitIdentities;
    scan.minImages = 2;
    const auto all = data::FaceFolders::scan(s.trainDir, scan);
    RunData out;
    for (const auto& skipped : all.skipped()) out.skipped.push_back(skipped.path.string() + ": " + skipped.reason);

    data::FaceFolders train = all;
    eval::VerifierOptions vo;
    vo.batchSize = s.batchSize;
    vo.flip = s.flip;
    vo.cacheDir = s.cacheDir;
    if (!s.pairsFile.empty()) {
        if (s.pairsImages.empty())
            throw InputError(s.pairsFile + ": give the image folder its names refer to as well");
        auto pairs = eval::readLfwPairs(s.pairsFile, s.pairsImages);
        out.verifyPairs = pairs.pairs.size();
        out.evaluate = verificationEvaluator(std::move(pairs), vo);
    } else if (s.verifyFraction > 0.0) {
        auto split = all.holdOut(s.verifyFraction, s.seed);
        train = std::move(split.train);
        auto pairs = eval::generatePairs(split.verification, s.seed);
        out.verifyIdentities = split.verification.identityCount();
        out.verification = std::move(split.verification);
        out.verifyPairs = pairs.pairs.size();
        out.evaluate = verificationEvaluator(std::move(pairs), vo);
    }
    data::LoaderOptions lo;
    lo.batchSize = s.batchSize;
    lo.augment = s.augment;
    lo.seed = s.seed;
    lo.shardIndex = s.shardIndex;
    lo.shardCount = s.shardCount;
    out.train = std::make_unique<data::FolderBatchSource>(train, pre, lo, s.cacheDir);

    std::vector<data::Sample> recovery = train.samples();
    data::AlignedCache& cache = out.train->cache();
    for (const auto& dir : s.unlabelledDirs) {
        const auto faces = data::scanUnlabelledFaces(dir);
        for (const auto& skipped : faces.skipped) out.noFace.push_back(skipped.path.string() + ": " + skipped.reason);
        size_t found = 0;
        for (const auto& sample : faces.samples()) {
            const data::CropResult r = cache.crop(sample.path);
            if (!r.crop) {
                out.noFace.push_back(r.message);
                continue;
            }
            recovery.push_back(sample);
            ++found;
        }
        if (found == 0)
            throw InputError(dir + ": none of its " + std::to_string(faces.images.size()) +
                             " images shows a face the detector finds");
        out.unlabelledImages += found;
    }
    data::LoaderOptions ro = lo;
    ro.jitter = s.jitter;
    out.recovery = std::make_unique<data::FolderBatchSource>(std::move(recovery), static_cast<int>(train.identityCount()),
                                                             pre, ro, s.cacheDir);
    out.trainIdentities = train.identityCount();
    out.trainImages = train.imageCount();
    return out;
}

}  // namespace fp::prune
