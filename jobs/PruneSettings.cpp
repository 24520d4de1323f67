#include "jobs/PruneSettings.h"

#include "prune/PruneConfig.h"
#include "prune/Criterion.h"

namespace fp::jobs {

QStringList PruneSettings::criterionNames() {
    QStringList out;
    for (const auto& n : prune::criterionNames()) out << QString::fromStdString(n);
    return out;
}

QStringList PruneSettings::targetKindNames() {
    QStringList out;
    for (auto k : {prune::TargetKind::Filters, prune::TargetKind::Params, prune::TargetKind::Macs})
        out << QString::fromLatin1(prune::targetKindName(k));
    return out;
}

}  // namespace fp::jobs
