#include "train/TrainData.h"

#include "train/TeacherFeed.h"
#include "util/Errors.h"

namespace fp::train {

eval::VerificationReport TrainData::verify(const graph::Graph& model) const {
    if (!canVerify()) throw Error("no identities were held out for verification");
    eval::Verifier verifier(model, verifyOptions);
    return verifier.run(verifyPairs).report;
}

TrainData prepareTrainData(const TrainDataSettings& s, const graph::Preprocess& student,
                           const graph::Preprocess* teacher) {
    data::ScanOptions scan;
    scan.limitIdentities = s.limitIdentities;
    scan.minImages = 2;
    const auto all = data::FaceFolders::scan(s.dir, scan);
    TrainData out;
    for (const auto& f : all.skipped()) out.skipped.push_back(f.path.string() + ": " + f.reason);

    data::FaceFolders train = all;
    if (s.verifyFraction > 0.0) {
        auto split = all.holdOut(s.verifyFraction, s.seed);
        train = std::move(split.train);
        out.verifyPairs = eval::generatePairs(split.verification, s.seed);
        out.verifyIdentities = split.verification.identityCount();
        out.verifyOptions.batchSize = s.batchSize;
        out.verifyOptions.flip = s.flip;
        out.verifyOptions.cacheDir = s.cacheDir;
    }
    data::LoaderOptions lo;
    lo.batchSize = s.batchSize;
    lo.augment = s.augment;
    lo.seed = s.seed;
    out.student = std::make_unique<data::FolderBatchSource>(train, student, lo, s.cacheDir);
    if (teacher && teacherFeed(student, *teacher) == TeacherFeed::OwnSource) {
        // The clean aligned face for the teacher: no flips or crops (see TeacherFeed.h).
        data::LoaderOptions to = lo;
        to.augment = false;
        out.teacher = std::make_unique<data::FolderBatchSource>(train, *teacher, to, s.cacheDir);
    }
    out.trainIdentities = train.identityCount();
    out.trainImages = train.imageCount();
    return out;
}

}  // namespace fp::train
