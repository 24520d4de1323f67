// faceprune-cli eval --model M (--pairs pairs.txt --images ROOT | --folders DIR): face verification
// metrics (accuracy, 10-fold, EER, TAR@FAR, AUC), printed and written as JSON and CSV.
#include <cstdio>
#include <iostream>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "app/cli/Commands.h"
#include "data/FaceFolders.h"
#include "eval/Pairs.h"
#include "eval/Verifier.h"
#include "models/ModelLoader.h"
#include "util/AtomicFile.h"
#include "util/Errors.h"

namespace fp::cli {

namespace {

struct Options {
    std::string model;
    std::string pairsFile;
    std::string imageRoot;
    std::string folders;
    bool flip = false;
    std::string outJson;
    std::string outCsv;
    std::string outScores;
    int limitIdentities = 0;
    uint64_t seed = 1;
    int batch = 32;
    int workers = 2;
    std::string cacheDir;
    bool verbose = false;
};

constexpr int kProblemsShown = 10;

int run(const Options& opt) {
    if (opt.folders.empty() == opt.pairsFile.empty())
        throw InputError("eval: give either --pairs FILE --images ROOT or --folders DIR");
    if (!opt.pairsFile.empty() && opt.imageRoot.empty())
        throw InputError(
            "eval: --pairs needs --images ROOT (the folder the names in the pairs file refer to)");
    if (!opt.pairsFile.empty() && opt.limitIdentities > 0)
        throw InputError("eval: --limit-identities applies to --folders only");

    graph::Graph g = models::loadModel(opt.model);

    eval::PairList pairs;
    std::string source;
    if (!opt.pairsFile.empty()) {
        pairs = eval::readLfwPairs(opt.pairsFile, opt.imageRoot);
        source = opt.pairsFile;
    } else {
        data::ScanOptions so;
        so.limitIdentities = opt.limitIdentities;
        const auto faces = data::FaceFolders::scan(opt.folders, so);
        for (const auto& s : faces.skipped())
            std::cerr << "skipped " << s.path.string() << ": " << s.reason << '\n';
        pairs = eval::generatePairs(faces, opt.seed);
        source = opt.folders;
        std::printf("%s: %zu identities, %zu images\n", opt.folders.c_str(), faces.identityCount(),
                    faces.imageCount());
    }
    std::printf(
        "model %s (%dx%d, %s alignment%s): %zu matched + %zu mismatched pairs over %zu images, %d folds\n",
        g.name.c_str(), g.preprocess.width, g.preprocess.height, graph::alignmentName(g.preprocess.alignment),
        opt.flip ? ", flip test" : "", pairs.matched(), pairs.mismatched(), pairs.images.size(), pairs.folds);
    std::fflush(stdout);

    eval::VerifierOptions vo;
    vo.batchSize = opt.batch;
    vo.flip = opt.flip;
    vo.workers = opt.workers;
    vo.cacheDir = opt.cacheDir;
    if (isatty(STDERR_FILENO))
        vo.progress = [](const ProgressEvent& e) {
            std::fprintf(stderr, "\rembedding %d/%d", e.step, e.steps);
            if (e.step == e.steps) std::fprintf(stderr, "\n");
        };
    const eval::VerificationResult res = eval::Verifier(g, vo).run(pairs);
    const eval::VerificationReport& r = res.report;

    for (size_t i = 0; i < res.problems.size(); ++i) {
        if (!opt.verbose && static_cast<int>(i) == kProblemsShown) {
            std::fprintf(stderr, "... and %zu more (--verbose lists all)\n", res.problems.size() - i);
            break;
        }
        std::fprintf(stderr, "%s\n", res.problems[i].c_str());
    }
    std::printf(
        "images %d: %d from the aligned cache, %d without a face, %d unreadable; pairs excluded: %d\n",
        res.imagesTotal, res.imagesFromCache, res.imagesWithoutFace, res.imagesUnreadable, res.pairsExcluded);
    std::printf("  accuracy (best threshold)  %7.3f %%   at cosine >= %.4f\n", 100 * r.accuracy,
                r.accuracyThreshold);
    if (r.folds > 0)
        std::printf("  %d-fold accuracy            %7.3f %% +- %.3f %%\n", r.folds, 100 * r.foldMean,
                    100 * r.foldStd);
    std::printf("  EER                        %7.3f %%   at cosine %.4f\n", 100 * r.eer, r.eerThreshold);
    std::printf("  TAR @ FAR = 1e-2           %7.3f %%\n", 100 * r.tarAtFar1e2);
    std::printf("  TAR @ FAR = 1e-3           %7.3f %%\n", 100 * r.tarAtFar1e3);
    std::printf("  AUC                        %9.5f\n", r.auc);
    std::printf("  (%lld matched, %lld mismatched pairs scored; %.1f s)\n", static_cast<long long>(r.matched),
                static_cast<long long>(r.mismatched), res.seconds);

    const nlohmann::json extra = {{"model", opt.model},
                                  {"source", source},
                                  {"flip", opt.flip},
                                  {"images", res.imagesTotal},
                                  {"images_without_face", res.imagesWithoutFace},
                                  {"images_unreadable", res.imagesUnreadable},
                                  {"pairs_excluded", res.pairsExcluded},
                                  {"seconds", res.seconds}};
    if (!opt.outJson.empty()) {
        eval::VerificationMetrics::writeJson(r, opt.outJson, extra.dump());
        std::printf("metrics written to %s\n", opt.outJson.c_str());
    }
    if (!opt.outCsv.empty()) {
        eval::VerificationMetrics::writeCurvesCsv(r, opt.outCsv);
        std::printf("ROC/DET curve written to %s\n", opt.outCsv.c_str());
    }
    if (!opt.outScores.empty()) {
        util::AtomicFile file(opt.outScores);
        file.stream() << "image_a,image_b,same,fold,score\n";
        for (size_t i = 0; i < pairs.pairs.size(); ++i) {
            const eval::Pair& p = pairs.pairs[i];
            char score[32];
            std::snprintf(score, sizeof score, "%.6f", res.scores[i]);  // nan: pair excluded
            file.stream() << pairs.images[p.a].string() << ',' << pairs.images[p.b].string() << ','
                          << (p.same ? 1 : 0) << ',' << p.fold << ',' << score << '\n';
        }
        file.commit();
        std::printf("per-pair scores written to %s\n", opt.outScores.c_str());
    }
    return 0;
}

}  // namespace

void addEvalCommand(CLI::App& app) {
    auto* cmd =
        app.add_subcommand("eval", "Face verification: accuracy, 10-fold, EER, TAR@FAR, AUC, ROC/DET curves");
    auto opt = std::make_shared<Options>();
    cmd->add_option("--model", opt->model, "Zoo name or model file")->required();
    auto* pairs =
        cmd->add_option("--pairs", opt->pairsFile, "LFW-format pairs.txt")->check(CLI::ExistingFile);
    auto* images = cmd->add_option("--images", opt->imageRoot,
                                   "Image root the pairs file names (ROOT/name/name_0001.jpg)")
                       ->check(CLI::ExistingDirectory);
    auto* folders =
        cmd->add_option("--folders", opt->folders,
                        "Identity folders (one per person); pairs are generated: all matched pairs "
                        "plus as many random mismatched ones")
            ->check(CLI::ExistingDirectory);
    pairs->needs(images);
    images->needs(pairs);
    folders->excludes(pairs);
    folders->excludes(images);
    cmd->add_flag("--flip", opt->flip, "Flip test: embedding of the image plus that of its mirror");
    cmd->add_option("--out-json", opt->outJson, "Write the metrics as JSON");
    cmd->add_option("--out-csv", opt->outCsv, "Write the ROC/DET curve (threshold,far,tar,frr) as CSV");
    cmd->add_option("--out-scores", opt->outScores,
                    "Write every pair's images, label, fold and cosine as CSV");
    cmd->add_option("--limit-identities", opt->limitIdentities, "Use only the first N identities (--folders)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--seed", opt->seed, "Seed of the generated mismatched pairs and folds")->default_val(1);
    cmd->add_option("--batch", opt->batch, "Images per forward pass")
        ->default_val(32)
        ->check(CLI::PositiveNumber);
    cmd->add_option("--workers", opt->workers, "Threads that decode and align images")
        ->default_val(2)
        ->check(CLI::PositiveNumber);
    cmd->add_option("--cache-dir", opt->cacheDir, "Aligned-face cache (default ~/.cache/faceprune/aligned)");
    cmd->add_flag("--verbose", opt->verbose, "List every image left out");
    cmd->callback([opt] {
        if (int code = run(*opt)) throw CLI::RuntimeError(code);
    });
}

}  // namespace fp::cli
