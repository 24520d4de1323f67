#pragma once
// A run as one self-contained HTML file (pictures embedded, no other files): what was pruned and
// how (every setting of run.json), the figures before and after, each iteration, the window's
// plots, every layer's width before and after, and the export's checks when there was one.
#include <QString>
#include <QVector>
#include <optional>

#include "jobs/ExportJob.h"
#include "jobs/ModelSummary.h"
#include "jobs/RunHistory.h"

namespace fp::widgets {
class PlotBase;
}

namespace fp::gui {

struct ReportInput {
    jobs::RunHistory history;
    jobs::ModelSummary model;                  // the model shown (its widths fill the layer table)
    QString modelTitle;                        // "final model of RUN (...)"
    QVector<widgets::PlotBase*> plots;
    std::optional<jobs::ExportResult> lastExport;
};

class ReportWriter {
public:
    // Writes atomically. Returns an empty string, or what went wrong naming the file.
    static QString write(const QString& path, const ReportInput& input);
    static QString html(const ReportInput& input);
};

}  // namespace fp::gui
