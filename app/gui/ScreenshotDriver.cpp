#include "app/gui/ScreenshotDriver.h"

#include <QApplication>
#include <QDialog>
#include <QDir>
#include <QDeadlineTimer>
#include <QDockWidget>
#include <QEventLoop>
#include <QPixmap>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <algorithm>
#include <cstdio>
#include <functional>

#include "app/gui/ExportDialog.h"
#include "app/gui/MainWindow.h"
#include "jobs/SensitivityJob.h"
#include "widgets/CheckpointList.h"
#include "widgets/GraphView.h"
#include "widgets/LiveFramePane.h"
#include "widgets/LiveTab.h"
#include "widgets/LogPanel.h"
#include "widgets/PlotBase.h"
#include "widgets/PruningPanel.h"
#include "widgets/SensitivityView.h"

namespace fp::gui {

namespace {
void settle(int ms = 150) {
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}
}  // namespace

ScreenshotDriver::ScreenshotDriver(MainWindow* window, Options options, QObject* parent)
    : QObject(parent), window_(window), options_(std::move(options)) {}

void ScreenshotDriver::start() {
    connect(window_, &MainWindow::modelOpened, this, &ScreenshotDriver::onOpened);
    connect(window_, &MainWindow::openFailed, this, [this](const QString&, const QString& m) { fail(m); });
    connect(window_->pruneJob(), &jobs::PruneJob::failed, this, &ScreenshotDriver::fail);
    connect(window_, &MainWindow::runEnded, this, &ScreenshotDriver::onRunEnded);
    if (!options_.outDir.isEmpty()) QDir().mkpath(options_.outDir);
    window_->openModel(options_.model);
}

void ScreenshotDriver::onOpened() {
    if (started_) return;
    started_ = true;
    auto* panel = window_->pruningPanel();
    auto s = panel->settings();
    if (!options_.trainDir.isEmpty()) s.setValue(QStringLiteral("train"), options_.trainDir);
    s.setValue(QStringLiteral("limit-identities"), QString::number(options_.limitIdentities));
    s.setValue(QStringLiteral("iterations"), QString::number(options_.iterations));
    s.setValue(QStringLiteral("scoring-batches"), QString::number(options_.scoringBatches));
    s.setValue(QStringLiteral("batch-size"), QString::number(options_.batchSize));
    s.setValue(QStringLiteral("verify-fraction"), QString::number(options_.verifyFraction));
    // A demo of a minute or two: no distillation and no final recovery.
    s.setValue(QStringLiteral("quick"), QStringLiteral("true"));
    s.runDir = options_.runDir;
    if (s.runDir.isEmpty() && !options_.outDir.isEmpty())
        s.runDir = QDir(options_.outDir).filePath(QStringLiteral("run"));
    if (!s.runDir.isEmpty()) QDir(s.runDir).removeRecursively();  // a demo starts afresh
    panel->setSettings(s);
    probe_.start();
    window_->startPruning();
}

void ScreenshotDriver::onRunEnded() {
    probe_.stop();
    if (window_->runHistory().iterations() == 0) return;  // failed before the first iteration
    std::printf("event loop during the run: largest gap %.1f ms, mean %.1f ms over %d ticks of 10 ms; "
                "most GUI-thread CPU between two ticks %.1f ms\n",
                probe_.largestGapMs(), probe_.meanGapMs(), probe_.ticks(), probe_.largestBusyMs());
    std::fflush(stdout);
    if (options_.outDir.isEmpty()) return;
    QTimer::singleShot(300, this, &ScreenshotDriver::capture);
}

bool ScreenshotDriver::grab(QWidget* w, const QString& name) {
    const QString path = QDir(options_.outDir).filePath(name + QStringLiteral(".png"));
    const bool ok = w->grab().save(path);
    std::printf("%s %s (%dx%d)\n", ok ? "wrote" : "FAILED", qPrintable(path), w->width(), w->height());
    return ok;
}

void ScreenshotDriver::capture() {
    bool ok = true;
    settle();
    ok &= grab(window_, QStringLiteral("window"));
    ok &= grab(window_->graphView(), QStringLiteral("graph"));
    ok &= grab(window_->layerTable(), QStringLiteral("table"));
    ok &= grab(window_->pruningPanel(), QStringLiteral("panel"));
    ok &= grab(window_->logPanel(), QStringLiteral("log"));
    auto* tabs = window_->plotTabs();
    const QStringList names{QStringLiteral("plot-filters"), QStringLiteral("plot-widths"), QStringLiteral("plot-roc"),
                            QStringLiteral("plot-metrics"), QStringLiteral("plot-cost"), QStringLiteral("plot-analysis")};
    for (int i = 0; i < window_->plots().size(); ++i) {
        tabs->setCurrentIndex(tabs->indexOf(window_->plots()[i]));
        settle(100);
        window_->plots()[i]->replotNow();
        ok &= grab(tabs, names.value(i, QStringLiteral("plot-%1").arg(i)));
        if (window_->plots()[i]->pointCount() == 0) {
            std::printf("EMPTY plot %s\n", qPrintable(window_->plots()[i]->title()));
            ok = false;
        }
    }
    // The run in the Compare tab (a study folder would add one curve per criterion).
    if (window_->compareRuns({window_->runHistory().runDir})) {
        settle(100);
        ok &= grab(tabs, QStringLiteral("plot-compare"));
    }
    ok &= captureSensitivity();
    tabs->setCurrentIndex(0);
    ok &= grab(window_->checkpointList(), QStringLiteral("checkpoints"));

    auto* dialog = qobject_cast<ExportDialog*>(window_->showExportDialog());
    if (!dialog) return fail(QStringLiteral("the export dialog did not open"));
    dialog->setPath(QDir(options_.outDir).filePath(QStringLiteral("pruned.onnx")));
    QEventLoop wait;
    connect(dialog, &ExportDialog::exported, &wait, &QEventLoop::quit);
    connect(dialog, &ExportDialog::exportFailed, &wait, &QEventLoop::quit);
    QTimer::singleShot(120000, &wait, &QEventLoop::quit);
    dialog->startExport();
    wait.exec();
    settle();
    std::printf("export: %s\n", qPrintable(dialog->resultText()));
    ok &= grab(dialog, QStringLiteral("export-dialog"));
    dialog->close();
    ok &= window_->writeReport(QDir(options_.outDir).filePath(QStringLiteral("report.html")));
    ok &= captureLive();
    emit done(ok ? 0 : 1);
}

// The Sensitivity tab after a measurement on the run's data.
bool ScreenshotDriver::captureSensitivity() {
    QEventLoop wait;
    bool measured = false;
    connect(window_->sensitivityJob(), &jobs::SensitivityJob::finished, &wait, [&] {
        measured = true;
        wait.quit();
    });
    connect(window_->sensitivityJob(), &jobs::SensitivityJob::failed, &wait, &QEventLoop::quit);
    QTimer::singleShot(300000, &wait, &QEventLoop::quit);
    if (!window_->measureSensitivity()) return false;
    wait.exec();
    if (!measured) {
        std::printf("sensitivity: no measurement (%s)\n", qPrintable(window_->sensitivityView()->status()));
        return false;
    }
    settle(100);
    window_->sensitivityView()->plot()->replotNow();
    return grab(window_->plotTabs(), QStringLiteral("plot-sensitivity"));
}

// The live-faces dock on the demo video: floated to a useful size, the faces shown enrolled, grabbed
// once the models name them.
bool ScreenshotDriver::captureLive() {
    auto* live = window_->findChild<widgets::LiveTab*>();
    auto* dock = live ? qobject_cast<QDockWidget*>(live->parentWidget()) : nullptr;
    if (!dock) return true;
    dock->setFloating(true);
    dock->resize(1400, 640);
    dock->show();
    dock->raise();
    const auto until = [](const std::function<bool()>& done, int ms) {
        for (QDeadlineTimer t(ms); !done() && !t.hasExpired();) settle(100);
        return done();
    };
    const auto named = [live] {
        const auto& faces = live->pane(0)->frame().faces;
        return std::count_if(faces.begin(), faces.end(), [](const jobs::LiveFace& f) { return f.accepted[0]; });
    };
    if (!until([live] { return live->pane(0)->frame().faces.size() >= 2; }, 120000)) {
        std::printf("EMPTY live tab: no faces on the demo video\n");
        return false;
    }
    // The video moves on while a face is enrolled: a click on a frame no longer kept can miss its face,
    // so the faces still unnamed are enrolled again, from the frame shown then.
    bool ok = false;
    for (int attempt = 0; attempt < 4 && !ok; ++attempt) {
        live->enrolShownFaces();
        ok = until([&] { return named() >= 2; }, 15000);
    }
    if (!ok) std::printf("live tab: the enrolled faces were not named in time\n");
    const bool saved = grab(live, QStringLiteral("live-faces")) &&
                       live->saveSnapshot(QDir(options_.outDir).filePath(QStringLiteral("live-side-by-side.png")));
    dock->setFloating(false);
    return ok && saved;
}

void ScreenshotDriver::fail(const QString& message) {
    std::fprintf(stderr, "screenshots: %s\n", qPrintable(message));
    emit done(1);
}

}  // namespace fp::gui
