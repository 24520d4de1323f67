#include "widgets/PlotBase.h"

#include <QBuffer>
#include <QContextMenuEvent>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>
#include <QMessageBox>
#include <QTimer>
#include <QVBoxLayout>
#include <cmath>
#include <qcustomplot.h>

namespace fp::widgets {

PlotBase::PlotBase(const QString& title, QWidget* parent)
    : QWidget(parent), plot_(new QCustomPlot(this)), title_(title), replotTimer_(new QTimer(this)) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(plot_);
    plot_->setContextMenuPolicy(Qt::NoContextMenu);  // ours, on the widget
    plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    plot_->setNoAntialiasingOnDrag(true);
    plot_->plotLayout()->insertRow(0);
    auto* heading = new QCPTextElement(plot_, title, QFont(font().family(), font().pointSize() + 1, QFont::Bold));
    plot_->plotLayout()->addElement(0, 0, heading);
    plot_->legend->setFont(QFont(font().family(), font().pointSize() - 1));
    plot_->legend->setBrush(QColor(255, 255, 255, 220));

    hint_ = new QCPItemText(plot_);
    hint_->setPositionAlignment(Qt::AlignCenter);
    hint_->position->setType(QCPItemPosition::ptAxisRectRatio);
    hint_->position->setCoords(0.5, 0.5);
    hint_->setColor(QColor(120, 120, 120));
    hint_->setText(tr("No data yet: open a model and start pruning."));

    mark_ = new QCPItemStraightLine(plot_);
    mark_->setPen(QPen(QColor(90, 90, 90), 1.5, Qt::DashLine));
    mark_->setVisible(false);

    replotTimer_->setSingleShot(true);
    replotTimer_->setInterval(30);
    connect(replotTimer_, &QTimer::timeout, this, [this] { plot_->replot(QCustomPlot::rpQueuedReplot); });
}

void PlotBase::setModel(const jobs::ModelSummary&) {}
void PlotBase::setRun(const jobs::RunHistory&) {}
void PlotBase::fitRanges() { plot_->rescaleAxes(); }

double PlotBase::checkpointX(int) const { return std::nan(""); }

void PlotBase::markCheckpoint(int iteration) {
    marked_ = iteration;
    updateMark();
}

bool PlotBase::showsMark() const { return mark_->visible(); }

void PlotBase::updateMark() {
    const double x = marked_ == kNoMark ? std::nan("") : checkpointX(marked_);
    mark_->setVisible(std::isfinite(x));
    if (std::isfinite(x)) {
        mark_->point1->setCoords(x, 0);
        mark_->point2->setCoords(x, 1);
    }
    requestReplot();
}

void PlotBase::requestReplot() {
    hint_->setVisible(pointCount() == 0);
    if (!replotTimer_->isActive()) replotTimer_->start();
}

void PlotBase::replotNow() {
    replotTimer_->stop();
    hint_->setVisible(pointCount() == 0);
    plot_->replot(QCustomPlot::rpImmediateRefresh);
}

void PlotBase::legendBelow() {
    plot_->legend->setVisible(true);
    if (auto* inset = plot_->axisRect()->insetLayout(); inset->elements(false).contains(plot_->legend)) {
        inset->take(plot_->legend);
        inset->simplify();
    }
    auto* grid = plot_->plotLayout();
    grid->addElement(grid->rowCount(), 0, plot_->legend);
    grid->setRowStretchFactor(grid->rowCount() - 1, 0.001);
    plot_->legend->setFillOrder(QCPLegend::foColumnsFirst);
    plot_->legend->setBorderPen(Qt::NoPen);
    plot_->legend->setMargins(QMargins(4, 0, 4, 2));
}

void PlotBase::setEmptyHint(const QString& text) { hint_->setText(text); }

bool PlotBase::save(const QString& path) {
    return QFileInfo(path).suffix().compare(QLatin1String("pdf"), Qt::CaseInsensitive) == 0 ? savePdf(path)
                                                                                            : savePng(path);
}

bool PlotBase::savePng(const QString& path) {
    replotNow();
    const int w = std::max(plot_->width(), 800), h = std::max(plot_->height(), 500);
    return plot_->savePng(path, w, h, 2.0);
}

QByteArray PlotBase::pngBytes() {
    replotNow();
    const int w = std::max(plot_->width(), 800), h = std::max(plot_->height(), 500);
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    plot_->toPixmap(w, h, 2.0).save(&buffer, "PNG");
    return bytes;
}

bool PlotBase::savePdf(const QString& path) {
    replotNow();
    const int w = std::max(plot_->width(), 800), h = std::max(plot_->height(), 500);
    return plot_->savePdf(path, w, h, QCP::epNoCosmetic, QStringLiteral("FacePrune"), title_);
}

void PlotBase::saveWithDialog() {
    QString base = title_.toLower();
    base.replace(QLatin1Char(' '), QLatin1Char('-'));
    const QString path = QFileDialog::getSaveFileName(this, tr("Save %1").arg(title_), QDir::home().filePath(base + ".png"),
                                                      tr("PNG image (*.png);;PDF document (*.pdf)"));
    if (path.isEmpty()) return;
    if (!save(path)) QMessageBox::warning(this, tr("Save plot"), tr("%1: could not be written.").arg(path));
}

void PlotBase::contextMenuEvent(QContextMenuEvent* event) {
    QMenu menu(this);
    menu.addAction(tr("Save as PNG or PDF..."), this, &PlotBase::saveWithDialog);
    menu.addAction(tr("Reset view"), this, [this] {
        fitRanges();
        requestReplot();
    });
    menu.exec(event->globalPos());
}

QString PlotBase::compact(double v) {
    const double a = std::fabs(v);
    if (a >= 1e9) return QString::number(v / 1e9, 'f', 2) + QLatin1Char('G');
    if (a >= 1e6) return QString::number(v / 1e6, 'f', 2) + QLatin1Char('M');
    if (a >= 1e3) return QString::number(v / 1e3, 'f', 1) + QLatin1Char('k');
    return QString::number(v, 'g', 3);
}

}  // namespace fp::widgets
