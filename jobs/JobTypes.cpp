#include "jobs/JobTypes.h"

#include <QMetaType>

#include "jobs/ExportJob.h"
#include "jobs/IterationSummary.h"
#include "jobs/LoadedModel.h"
#include "jobs/PruneSettings.h"
#include "jobs/SensitivityTable.h"

namespace fp::jobs {

void registerJobTypes() {
    qRegisterMetaType<LayerInfo>();
    qRegisterMetaType<ModelSummary>();
    qRegisterMetaType<IterationPoint>();
    qRegisterMetaType<RunHistory>();
    qRegisterMetaType<IterationSummary>();
    qRegisterMetaType<PruneSettings>();
    qRegisterMetaType<LoadedModel>();
    qRegisterMetaType<ExportResult>();
    qRegisterMetaType<SensitivityTable>();
}

}  // namespace fp::jobs
