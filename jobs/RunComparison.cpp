#include "jobs/RunComparison.h"

#include <QDir>
#include <QFileInfo>

#include "jobs/SummaryBuilder.h"
#include "prune/History.h"
#include "prune/PruneRun.h"
#include "util/Errors.h"

namespace fp::jobs {

namespace {

bool isRun(const QString& dir) { return prune::PruneRun::isRunDir(dir.toStdString()); }

RunHistory read(const QString& dir) {
    const QString path = QFileInfo(dir).absoluteFilePath();
    const auto h = prune::loadHistory(QDir(path).filePath(QStringLiteral("run.json")).toStdString());
    return SummaryBuilder::history(h, path);
}

}  // namespace

QVector<RunHistory> RunComparison::load(const QStringList& folders) {
    QVector<RunHistory> runs;
    for (const QString& folder : folders) {
        if (isRun(folder)) {
            runs.push_back(read(folder));
            continue;
        }
        if (!QFileInfo(folder).isDir()) throw Error(folder.toStdString() + ": no such folder");
        const auto subs = QDir(folder).entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
        int found = 0;
        for (const auto& sub : subs)
            if (isRun(sub.absoluteFilePath())) {
                runs.push_back(read(sub.absoluteFilePath()));
                ++found;
            }
        if (found == 0)
            throw Error(folder.toStdString() +
                        ": neither a run folder (run.json and original.fpm) nor a folder of runs (a study)");
    }
    return runs;
}

}  // namespace fp::jobs
