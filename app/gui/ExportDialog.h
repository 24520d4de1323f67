#pragma once
// Export the current model: ONNX (BatchNorm folded or kept, with or without the
// identification head, opset) or FacePrune's native format. The export runs in
// the background; the dialog then shows the file's size and cost and whether
// an independent runtime computes what FacePrune computes.
#include <QDialog>
#include <memory>

#include "graph/Graph.h"
#include "jobs/ExportJob.h"
#include "jobs/ModelSummary.h"

class QCheckBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QRadioButton;
class QSpinBox;

namespace fp::gui {

class ExportDialog : public QDialog {
    Q_OBJECT
public:
    ExportDialog(std::shared_ptr<const graph::Graph> model, const jobs::ModelSummary& summary, const QString& dir,
                 QWidget* parent = nullptr);

    void setFormat(jobs::ExportRequest::Format format);
    void setPath(const QString& path);
    // The unpruned model: an ONNX export then shows its cv::dnn latency beside the file's.
    void setOriginal(std::shared_ptr<const graph::Graph> original);
    jobs::ExportRequest request() const;
    // Starts the export (what the Export button does). False when one is going on.
    bool startExport();
    QString resultText() const;

signals:
    void exported(const fp::jobs::ExportResult& result);
    void exportFailed(const QString& message);

private:
    void browse();
    void updateOptions();
    void onExported(const jobs::ExportResult& r);
    void onFailed(const QString& message);

    std::shared_ptr<const graph::Graph> model_, original_;
    QString baseName_;
    jobs::ExportJob* job_;
    QRadioButton* onnx_;
    QRadioButton* native_;
    QCheckBox* keepBn_;
    QCheckBox* withHead_;
    QSpinBox* opset_;
    QLineEdit* path_;
    QLabel* result_;
    QPushButton* exportButton_;
};

}  // namespace fp::gui
