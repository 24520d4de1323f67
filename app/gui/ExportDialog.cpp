#include "app/gui/ExportDialog.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMessageBox>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

namespace fp::gui {

ExportDialog::ExportDialog(std::shared_ptr<const graph::Graph> model, const jobs::ModelSummary& summary,
                           const QString& dir, QWidget* parent)
    : QDialog(parent), model_(std::move(model)), job_(new jobs::ExportJob(this)) {
    setObjectName(QStringLiteral("ExportDialog"));
    setWindowTitle(tr("Export %1").arg(summary.name));
    setMinimumWidth(560);
    auto* top = new QVBoxLayout(this);

    auto* info = new QLabel(tr("<b>%1</b>: %2 filters (of %3), %4 M parameters, %5 M MACs")
                                .arg(summary.name)
                                .arg(summary.filters)
                                .arg(summary.originalFilters)
                                .arg(double(summary.params) / 1e6, 0, 'f', 2)
                                .arg(double(summary.macs) / 1e6, 0, 'f', 1));
    info->setWordWrap(true);
    top->addWidget(info);

    auto* format = new QGroupBox(tr("Format"));
    auto* fl = new QVBoxLayout(format);
    onnx_ = new QRadioButton(tr("ONNX: for OpenCV, ONNX Runtime and other runtimes"));
    native_ = new QRadioButton(tr("FacePrune model (.fpm): keeps the head, preprocessing and pruning history"));
    onnx_->setChecked(true);
    fl->addWidget(onnx_);
    auto* options = new QWidget;
    auto* ol = new QFormLayout(options);
    ol->setContentsMargins(24, 0, 0, 0);
    keepBn_ = new QCheckBox(tr("Keep BatchNorm layers (instead of folding them into the convolutions)"));
    withHead_ = new QCheckBox(tr("Also output the identification logits"));
    if (!model_ || !model_->hasHead()) {
        withHead_->setEnabled(false);
        withHead_->setToolTip(tr("This model has no identification head"));
    }
    opset_ = new QSpinBox;
    opset_->setRange(11, 17);
    opset_->setValue(13);
    ol->addRow(keepBn_);
    ol->addRow(withHead_);
    ol->addRow(tr("Opset"), opset_);
    fl->addWidget(options);
    fl->addWidget(native_);
    top->addWidget(format);

    baseName_ = QDir(dir).filePath(summary.name.isEmpty() ? QStringLiteral("model") : summary.name);
    auto* where = new QHBoxLayout;
    path_ = new QLineEdit(baseName_ + QStringLiteral(".onnx"));
    auto* browseButton = new QToolButton;
    browseButton->setText(QStringLiteral("..."));
    connect(browseButton, &QToolButton::clicked, this, &ExportDialog::browse);
    where->addWidget(new QLabel(tr("File")));
    where->addWidget(path_, 1);
    where->addWidget(browseButton);
    top->addLayout(where);

    result_ = new QLabel(tr("The exported file is read back and run on a fixed input: ONNX in OpenCV's dnn "
                            "module, a native file in FacePrune; the result shows here."));
    result_->setObjectName(QStringLiteral("ExportResult"));
    result_->setWordWrap(true);
    result_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    result_->setFrameShape(QFrame::StyledPanel);
    result_->setMargin(8);
    result_->setMinimumHeight(90);
    top->addWidget(result_);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    exportButton_ = buttons->addButton(tr("Export"), QDialogButtonBox::AcceptRole);
    exportButton_->setDefault(true);
    connect(exportButton_, &QPushButton::clicked, this, &ExportDialog::startExport);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    top->addWidget(buttons);

    connect(onnx_, &QRadioButton::toggled, this, &ExportDialog::updateOptions);
    connect(job_, &jobs::ExportJob::exported, this, &ExportDialog::onExported);
    connect(job_, &jobs::ExportJob::failed, this, &ExportDialog::onFailed);
    updateOptions();
}

void ExportDialog::setFormat(jobs::ExportRequest::Format f) {
    (f == jobs::ExportRequest::Format::Onnx ? onnx_ : native_)->setChecked(true);
}

void ExportDialog::setPath(const QString& path) { path_->setText(path); }

void ExportDialog::setOriginal(std::shared_ptr<const graph::Graph> original) {
    original_ = original == model_ ? nullptr : std::move(original);
}

void ExportDialog::updateOptions() {
    const bool onnx = onnx_->isChecked();
    keepBn_->setEnabled(onnx);
    withHead_->setEnabled(onnx && model_ && model_->hasHead());
    opset_->setEnabled(onnx);
    // Follow the format with the file's extension.
    QFileInfo fi(path_->text());
    const QString want = onnx ? QStringLiteral("onnx") : QStringLiteral("fpm");
    if (fi.suffix() != want) path_->setText(QDir(fi.path()).filePath(fi.completeBaseName() + QLatin1Char('.') + want));
}

jobs::ExportRequest ExportDialog::request() const {
    jobs::ExportRequest r;
    r.path = path_->text().trimmed();
    r.format = onnx_->isChecked() ? jobs::ExportRequest::Format::Onnx : jobs::ExportRequest::Format::Native;
    r.keepBatchNorm = keepBn_->isChecked();
    r.withHead = withHead_->isChecked();
    r.opset = opset_->value();
    r.original = original_;
    return r;
}

void ExportDialog::browse() {
    const bool onnx = onnx_->isChecked();
    const QString path = QFileDialog::getSaveFileName(this, tr("Export to"), path_->text(),
                                                      onnx ? tr("ONNX (*.onnx)") : tr("FacePrune model (*.fpm)"));
    if (!path.isEmpty()) path_->setText(path);
}

bool ExportDialog::startExport() {
    const auto r = request();
    if (r.path.isEmpty()) {
        result_->setText(tr("Choose a file to write."));
        return false;
    }
    if (!job_->start(model_, r)) return false;
    exportButton_->setEnabled(false);
    result_->setText(tr("Writing %1 and checking it ...").arg(r.path));
    return true;
}

QString ExportDialog::resultText() const { return result_->text(); }

void ExportDialog::onExported(const jobs::ExportResult& r) {
    exportButton_->setEnabled(true);
    const QString color = r.check.agrees ? QStringLiteral("#1b7a30") : QStringLiteral("#b00020");
    result_->setText(tr("<b>Wrote</b> %1<br>%2; %3, %4 M parameters, %5 M MACs<br>"
                        "<span style=\"color:%6\"><b>%7</b></span>")
                         .arg(r.path.toHtmlEscaped(), r.description.toHtmlEscaped(),
                              QLocale().formattedDataSize(r.bytes))
                         .arg(double(r.params) / 1e6, 0, 'f', 3)
                         .arg(double(r.macs) / 1e6, 0, 'f', 1)
                         .arg(color, QString::fromStdString(r.check.text).toHtmlEscaped()));
    for (const QString& line : jobs::latencyLines(r)) result_->setText(result_->text() + QStringLiteral("<br>") + line.toHtmlEscaped());
    emit exported(r);
}

void ExportDialog::onFailed(const QString& message) {
    exportButton_->setEnabled(true);
    result_->setText(QStringLiteral("<span style=\"color:#b00020\">%1</span>").arg(message.toHtmlEscaped()));
    emit exportFailed(message);
    QMessageBox::critical(this, tr("Export failed"), message);
}

}  // namespace fp::gui
