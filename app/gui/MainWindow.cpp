#include "app/gui/MainWindow.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QRegularExpression>
#include <QScrollArea>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QToolBar>
#include <algorithm>
#include <utility>

#include "app/gui/ExportDialog.h"
#include "app/gui/ReportWriter.h"
#include "io/NativeFormat.h"
#include "jobs/LiveJob.h"
#include "jobs/ModelLoadJob.h"
#include "jobs/RunComparison.h"
#include "jobs/SensitivityJob.h"
#include "models/ModelLoader.h"
#include "prune/PruneRun.h"
#include "util/Assets.h"
#include "widgets/AnalysisPlot.h"
#include "widgets/CheckpointList.h"
#include "widgets/ComparisonPlot.h"
#include "widgets/ComparisonView.h"
#include "widgets/CostPlot.h"
#include "widgets/FiltersPerLayerPlot.h"
#include "widgets/GraphView.h"
#include "widgets/LayerTableModel.h"
#include "widgets/LiveTab.h"
#include "widgets/LogPanel.h"
#include "widgets/MetricPlot.h"
#include "widgets/PruningPanel.h"
#include "widgets/RocPlot.h"
#include "widgets/SensitivityView.h"
#include "widgets/WidthHistogramPlot.h"

namespace fp::gui {

namespace {

constexpr int kMaxRecent = 10;
constexpr int kLayoutVersion = 2;  // 2: the Checkpoints dock

QString pct(double v) { return QString::number(100.0 * v, 'f', 1) + QLatin1Char('%'); }

QString millions(qint64 v) { return QString::number(double(v) / 1e6, 'f', 2) + QLatin1Char('M'); }

bool isRunFolder(const QString& path) { return prune::PruneRun::isRunDir(path.toStdString()); }

}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setObjectName(QStringLiteral("MainWindow"));
    setAcceptDrops(true);
    setDockNestingEnabled(true);
    runProgress_ = new QLabel(this);
    runProgress_->setObjectName(QStringLiteral("RunProgress"));
    runProgress_->hide();
    statusBar()->addPermanentWidget(runProgress_);
    loader_ = new jobs::ModelLoadJob(this);
    checkpointLoader_ = new jobs::ModelLoadJob(this);
    sensitivityJob_ = new jobs::SensitivityJob(this);
    liveFileLoader_ = new jobs::ModelLoadJob(this);
    pruner_ = new jobs::PruneJob(this);
    buildDocks();
    buildActions();
    connectJobs();
    restoreLayout();

    QSettings settings;
    // The folder of the last run that started, else $FACEPRUNE_DATA.
    QString train = settings.value(QStringLiteral("pruning/trainDir")).toString();
    if (train.isEmpty() || !QFileInfo(train).isDir())
        train = QDir::cleanPath(QString::fromStdString(assets::faceDataDir().string()));
    auto s = panel_->settings();
    s.setValue(QStringLiteral("train"), train);
    panel_->setSettings(s);
    updateTitle();
    updateActions();
    statusBar()->showMessage(tr("Open a model (Ctrl+O), pick one from File > Open Model, or drop a file here."));
}

MainWindow::~MainWindow() = default;

void MainWindow::buildDocks() {
    graph_ = new widgets::GraphView(this);
    graph_->setObjectName(QStringLiteral("GraphView"));
    setCentralWidget(graph_);

    tableModel_ = new widgets::LayerTableModel(this);
    proxy_ = new QSortFilterProxyModel(this);
    proxy_->setSourceModel(tableModel_);
    proxy_->setSortRole(widgets::LayerTableModel::SortRole);
    table_ = new QTableView;
    table_->setObjectName(QStringLiteral("LayerTable"));
    table_->setModel(proxy_);
    table_->setSortingEnabled(true);
    table_->sortByColumn(-1, Qt::AscendingOrder);  // model order until the user sorts
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->setAlternatingRowColors(true);
    table_->verticalHeader()->setVisible(false);
    table_->verticalHeader()->setDefaultSectionSize(table_->fontMetrics().height() + 6);
    table_->horizontalHeader()->setStretchLastSection(true);
    table_->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);

    panel_ = new widgets::PruningPanel(jobs::PruneSettings::fields());
    panel_->setObjectName(QStringLiteral("PruningPanel"));
    auto* panelScroll = new QScrollArea;
    panelScroll->setWidget(panel_);
    panelScroll->setWidgetResizable(true);
    panelScroll->setFrameShape(QFrame::NoFrame);

    plotTabs_ = new QTabWidget;
    plotTabs_->setObjectName(QStringLiteral("PlotTabs"));
    plotTabs_->setDocumentMode(true);
    plots_ = {new widgets::FiltersPerLayerPlot, new widgets::WidthHistogramPlot, new widgets::RocPlot,
              new widgets::MetricPlot,          new widgets::CostPlot,           new widgets::AnalysisPlot};
    const QStringList tabNames{tr("Filters"), tr("Widths"), tr("ROC"), tr("Accuracy / EER"), tr("Cost"),
                               tr("Analysis")};
    for (int i = 0; i < plots_.size(); ++i) {
        plots_[i]->setMinimumSize(320, 220);
        plotTabs_->addTab(plots_[i], tabNames[i]);
    }
    comparison_ = new widgets::ComparisonView;
    comparison_->setObjectName(QStringLiteral("ComparisonView"));
    plotTabs_->addTab(comparison_, tr("Compare"));
    sensitivity_ = new widgets::SensitivityView;
    sensitivity_->setObjectName(QStringLiteral("SensitivityView"));
    plotTabs_->addTab(sensitivity_, tr("Sensitivity"));

    log_ = new widgets::LogPanel;
    log_->setObjectName(QStringLiteral("LogPanel"));

    const auto dock = [this](const QString& title, const QString& name, QWidget* w, Qt::DockWidgetArea area) {
        auto* d = new QDockWidget(title, this);
        d->setObjectName(name);  // saveState() keys on it
        d->setWidget(w);
        d->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable |
                       QDockWidget::DockWidgetClosable);
        addDockWidget(area, d);
        docks_ << d;
        return d;
    };
    auto* panelDock = dock(tr("Pruning"), QStringLiteral("PruningDock"), panelScroll, Qt::LeftDockWidgetArea);
    auto* tableDock = dock(tr("Layers"), QStringLiteral("LayersDock"), table_, Qt::RightDockWidgetArea);
    checkpoints_ = new widgets::CheckpointList;
    checkpoints_->setObjectName(QStringLiteral("CheckpointList"));
    auto* checkpointDock =
        dock(tr("Checkpoints"), QStringLiteral("CheckpointsDock"), checkpoints_, Qt::RightDockWidgetArea);
    splitDockWidget(tableDock, checkpointDock, Qt::Vertical);
    auto* plotDock = dock(tr("Plots"), QStringLiteral("PlotsDock"), plotTabs_, Qt::BottomDockWidgetArea);
    auto* logDock = dock(tr("Log"), QStringLiteral("LogDock"), log_, Qt::BottomDockWidgetArea);
    splitDockWidget(plotDock, logDock, Qt::Horizontal);
    // Live faces: original and pruned model side by side on a camera or the demo video (runs only while shown).
    auto* live = new widgets::LiveTab;
    live_ = new jobs::LiveJob(this);
    live->attach(live_);
    tabifyDockWidget(plotDock, dock(tr("Live faces"), QStringLiteral("LiveDock"), live, Qt::BottomDockWidgetArea));
    plotDock->raise();
    panelScroll->setMinimumWidth(panel_->minimumSizeHint().width() + 20);
    resizeDocks({panelDock, tableDock}, {400, 440}, Qt::Horizontal);
    resizeDocks({plotDock, logDock}, {900, 380}, Qt::Horizontal);
    resizeDocks({plotDock}, {380}, Qt::Vertical);
    resizeDocks({tableDock, checkpointDock}, {500, 160}, Qt::Vertical);
}

void MainWindow::buildActions() {
    auto* file = menuBar()->addMenu(tr("&File"));
    auto* open = file->addAction(QIcon::fromTheme(QStringLiteral("document-open")), tr("&Open Model File..."), this,
                                 &MainWindow::openFileDialog);
    open->setShortcut(QKeySequence::Open);
    auto* zoo = file->addMenu(tr("Open &Model"));
    for (const auto& c : models::modelChoices()) {
        const QString name = QString::fromStdString(c.name);
        auto* a = zoo->addAction(QStringLiteral("%1  —  %2").arg(name, QString::fromStdString(c.description)));
        connect(a, &QAction::triggered, this, [this, name] { openModel(name); });
    }
    file->addAction(tr("Open &Run Folder..."), this, &MainWindow::openRunDialog);
    file->addAction(tr("&Compare Runs..."), this, &MainWindow::compareRunsDialog);
    file->addAction(tr("Model File on &Live Faces..."), this, [this] {
        const QString path = QFileDialog::getOpenFileName(
            this, tr("A model to compare with the original on live faces"), run_.dir().isEmpty() ? QDir::homePath() : run_.dir(),
            tr("Models (*.fpm *.onnx *.json);;All files (*)"));
        if (!path.isEmpty()) showFileOnLiveFaces(path);
    });
    recentMenu_ = file->addMenu(tr("Open &Recent"));
    file->addSeparator();
    saveAction_ = file->addAction(tr("&Save Model As..."), this, &MainWindow::saveModelDialog);
    saveAction_->setShortcut(QKeySequence::Save);
    exportAction_ = file->addAction(tr("&Export..."), this, [this] { showExportDialog(); });
    exportAction_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    file->addAction(tr("Export &Graph Picture..."), this, &MainWindow::exportGraphDialog);
    reportAction_ = file->addAction(tr("Write &Report..."), this, &MainWindow::reportDialog);
    reportAction_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    file->addSeparator();
    auto* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    auto* run = menuBar()->addMenu(tr("&Run"));
    startAction_ = run->addAction(tr("&Start Pruning"), this, &MainWindow::startPruning);
    startAction_->setShortcut(QKeySequence(Qt::Key_F5));
    pauseAction_ = run->addAction(tr("&Pause"), pruner_, &jobs::PruneJob::pause);
    resumeAction_ = run->addAction(tr("&Resume"), this, &MainWindow::resumeRun);
    stopAction_ = run->addAction(tr("S&top"), pruner_, &jobs::PruneJob::stop);
    stopAction_->setShortcut(QKeySequence(Qt::SHIFT | Qt::Key_F5));
    run->addSeparator();
    run->addAction(tr("Measure Layer &Sensitivity"), this, &MainWindow::measureSensitivity);

    viewMenu_ = menuBar()->addMenu(tr("&View"));
    auto* find = viewMenu_->addAction(tr("&Find Layer..."), this, [this] {
        findEdit_->setFocus();
        findEdit_->selectAll();
    });
    find->setShortcut(QKeySequence::Find);
    auto* fit = viewMenu_->addAction(tr("&Fit Graph"), graph_, &widgets::GraphView::fitAll);
    fit->setShortcut(QKeySequence(Qt::Key_F));
    auto* top = viewMenu_->addAction(tr("Graph at the &Input"), graph_, &widgets::GraphView::showInput);
    top->setShortcut(QKeySequence(Qt::Key_Home));
    viewMenu_->addSeparator();
    for (auto* d : docks_) viewMenu_->addAction(d->toggleViewAction());
    viewMenu_->addSeparator();
    viewMenu_->addAction(tr("Reset &Layout"), this, [this] {
        for (auto* d : docks_) {
            d->setFloating(false);
            d->show();
        }
        QSettings().remove(QStringLiteral("window/state"));
        log_->append(tr("The dock layout is reset the next time FacePrune starts."));
    });

    auto* help = menuBar()->addMenu(tr("&Help"));
    auto* keys = help->addAction(tr("&Keyboard Shortcuts"), this, &MainWindow::showShortcuts);
    keys->setShortcut(QKeySequence::HelpContents);
    help->addAction(tr("&About FacePrune"), this, [this] {
        QMessageBox::about(this, tr("About FacePrune"),
                           tr("<b>FacePrune %1</b><p>Iterative Taylor filter pruning for face-recognition CNNs: "
                              "open a model, point it at a folder of faces (one sub-folder per person), press "
                              "Start, watch, and export the pruned network.</p>")
                               .arg(QStringLiteral(FACEPRUNE_VERSION)));
    });

    auto* tools = addToolBar(tr("Main"));
    tools->setObjectName(QStringLiteral("MainToolBar"));
    tools->addAction(open);
    tools->addAction(startAction_);
    tools->addAction(pauseAction_);
    tools->addAction(resumeAction_);
    tools->addAction(stopAction_);
    tools->addSeparator();
    tools->addAction(exportAction_);
    tools->addSeparator();
    tools->addWidget(new QLabel(tr(" Find layer: ")));
    findEdit_ = new QLineEdit;
    findEdit_->setObjectName(QStringLiteral("FindLayer"));
    findEdit_->setPlaceholderText(tr("name (Ctrl+F, Enter for next)"));
    findEdit_->setClearButtonEnabled(true);
    findEdit_->setMaximumWidth(260);
    tools->addWidget(findEdit_);
    connect(findEdit_, &QLineEdit::returnPressed, this, &MainWindow::findLayer);
    rebuildRecentMenu();
}

void MainWindow::connectJobs() {
    connect(loader_, &jobs::ModelLoadJob::loaded, this, &MainWindow::onLoaded);
    connect(loader_, &jobs::ModelLoadJob::failed, this, &MainWindow::onLoadFailed);
    connect(checkpoints_, &widgets::CheckpointList::checkpointChosen, this, &MainWindow::chooseCheckpoint);
    connect(checkpointLoader_, &jobs::ModelLoadJob::loaded, this, &MainWindow::onCheckpointLoaded);
    connect(liveFileLoader_, &jobs::ModelLoadJob::loaded, this, [this](const jobs::LoadedModel& m) {
        const auto& s = m.summary;
        const QString original = live_->modelNames().first;
        const QString title = tr("%1 (%2M MACs, %3M params)")
                                  .arg(QFileInfo(m.spec).fileName())
                                  .arg(double(s.macs) / 1e6, 0, 'f', 1)
                                  .arg(double(s.params) / 1e6, 0, 'f', 2);
        live_->setModels(liveOriginal_, liveFileLoader_->model(), original, title);
        log_->append(tr("Live faces: %1 against %2").arg(title, original));
    });
    connect(liveFileLoader_, &jobs::ModelLoadJob::failed, this, &MainWindow::onLoadFailed);
    connect(checkpointLoader_, &jobs::ModelLoadJob::failed, this, [this](const QString& spec, const QString& message) {
        run_.takePending();
        log_->append(message, widgets::LogPanel::Level::Error);
        statusBar()->showMessage(tr("Could not open %1").arg(spec), 8000);
    });

    connect(panel_, &widgets::PruningPanel::startRequested, this, &MainWindow::startPruning);
    connect(panel_, &widgets::PruningPanel::pauseRequested, pruner_, &jobs::PruneJob::pause);
    connect(panel_, &widgets::PruningPanel::resumeRequested, this, &MainWindow::resumeRun);
    connect(panel_, &widgets::PruningPanel::stopRequested, pruner_, &jobs::PruneJob::stop);

    connect(pruner_, &jobs::PruneJob::stateChanged, this, &MainWindow::onPruneState);
    connect(pruner_, &jobs::PruneJob::message, this, [this](const QString& m) { log_->append(m); });
    connect(pruner_, &jobs::PruneJob::runOpened, this, [this](const jobs::IterationSummary& s) {
        run_.started(s.history);
        showIteration(s, false);
        const auto& o = s.history.points.front();
        QString line = tr("Run folder %1: original %2 filters, %3 parameters, %4 MACs")
                           .arg(run_.dir())
                           .arg(o.filters)
                           .arg(millions(o.params), millions(o.macs));
        if (o.hasMetric(QStringLiteral("accuracy")))
            line += tr(", verification accuracy %1, EER %2")
                        .arg(pct(o.metrics.value(QStringLiteral("accuracy"))), pct(o.metrics.value(QStringLiteral("eer"))));
        log_->append(line);
        addRecent(run_.dir());
        QSettings settings;
        settings.setValue(QStringLiteral("session/last"), run_.dir());
        settings.setValue(QStringLiteral("pruning/trainDir"), panel_->settings().value(QStringLiteral("train")));
    });
    connect(pruner_, &jobs::PruneJob::progress, this,
            [this](int iteration, const QString& phase, int step, int steps, double eta) {
                panel_->setProgress(iteration, run_.maxIterations(), phase, step, steps, eta);
                // The same line in the status bar, visible whatever the docks show.
                runProgress_->setText(tr("%1 (%2%)").arg(panel_->progressText()).arg(int(100 * panel_->progressShare())));
                runProgress_->show();
            });
    connect(pruner_, &jobs::PruneJob::iterationFinished, this,
            [this](const jobs::IterationSummary& s) { showIteration(s, true); });
    connect(pruner_, &jobs::PruneJob::finalModelReady, this,
            [this](const jobs::IterationSummary& s) { showIteration(s, false); });
    connect(pruner_, &jobs::PruneJob::finished, this, [this](const QString& reason) {
        run_.finished();
        const QString text = tr("Finished: %1. Final model: %2").arg(reason, QDir(run_.dir()).filePath("final.fpm"));
        panel_->setStatus(text);
        log_->append(text);
        statusBar()->showMessage(text, 10000);
        updateActions();
        emit runEnded();
    });
    connect(this, &MainWindow::runEnded, runProgress_, &QWidget::hide);
    const auto interrupted = [this](const QString& how) {
        run_.interrupted();
        const QString text = tr("%1 after iteration %2; every completed iteration is saved in %3. Resume goes on.")
                                 .arg(how)
                                 .arg(run_.history().iterations())
                                 .arg(run_.dir());
        panel_->setStatus(text);
        log_->append(text);
        updateActions();
        emit runEnded();
    };
    connect(pruner_, &jobs::PruneJob::paused, this, [interrupted] { interrupted(tr("Paused")); });
    connect(pruner_, &jobs::PruneJob::stopped, this, [interrupted] { interrupted(tr("Stopped")); });
    connect(pruner_, &jobs::PruneJob::failed, this, [this](const QString& message) {
        run_.failed();
        panel_->setStatus(tr("Failed: %1").arg(message));
        log_->append(message, widgets::LogPanel::Level::Error);
        updateActions();
        onPruneState(pruner_->state());
        emit runEnded();
        QMessageBox::critical(this, tr("Pruning failed"), message);
    });

    // Selection: graph -> table and table -> graph; the graph does not echo selectLayer().
    connect(graph_, &widgets::GraphView::layerSelected, this, &MainWindow::selectInTable);
    connect(table_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex& current) {
                if (syncing_ || !current.isValid()) return;
                graph_->selectLayer(tableModel_->layerAt(proxy_->mapToSource(current).row()));
            });
    connect(graph_, &widgets::GraphView::lockRequested, this, &MainWindow::setLock);
    connect(tableModel_, &widgets::LayerTableModel::lockToggled, this, &MainWindow::setLock);
    connect(comparison_, &widgets::ComparisonView::addRunsRequested, this, &MainWindow::compareRunsDialog);

    connect(sensitivity_, &widgets::SensitivityView::measureRequested, this, &MainWindow::measureSensitivity);
    connect(sensitivity_, &widgets::SensitivityView::cancelRequested, sensitivityJob_, &jobs::SensitivityJob::cancel);
    connect(sensitivity_, &widgets::SensitivityView::applyRequested, this, &MainWindow::applyLimits);
    connect(sensitivityJob_, &jobs::SensitivityJob::progress, this, [this](int done, int total, double left) {
        sensitivity_->setProgress(done, total, left);
        runProgress_->setText(tr("Sensitivity: %1").arg(sensitivity_->status()));
        runProgress_->show();
    });
    connect(sensitivityJob_, &jobs::SensitivityJob::finished, this, [this](const jobs::SensitivityTable& t) {
        runProgress_->hide();
        sensitivity_->setBusy(false);
        showSensitivity(t);
        log_->append(tr("Sensitivity measured (%1 blocks), saved in %2").arg(t.blocks.size()).arg(t.file));
    });
    connect(sensitivityJob_, &jobs::SensitivityJob::cancelled, this, [this] {
        runProgress_->hide();
        sensitivity_->setBusy(false);
        sensitivity_->setStatus(tr("Cancelled: nothing was saved, the earlier measurement (if any) stays."));
    });
    connect(sensitivityJob_, &jobs::SensitivityJob::failed, this, [this](const QString& message) {
        runProgress_->hide();
        sensitivity_->setBusy(false);
        sensitivity_->setStatus(tr("Failed: %1").arg(message));
        log_->append(message, widgets::LogPanel::Level::Error);
        QMessageBox::warning(this, tr("Layer sensitivity"), message);
    });
}

bool MainWindow::isLoading() const { return loader_->isBusy(); }

bool MainWindow::openModel(const QString& specIn) {
    const QString spec = specIn.trimmed();
    if (spec.isEmpty()) return false;
    if (pruner_->isBusy()) {
        QMessageBox::information(this, tr("A run is going on"),
                                 tr("Stop or pause the pruning run before opening %1.").arg(spec));
        return false;
    }
    if (!loader_->load(spec)) return false;
    statusBar()->showMessage(tr("Opening %1 ...").arg(spec));
    log_->append(tr("Opening %1 ...").arg(spec));
    QApplication::setOverrideCursor(Qt::BusyCursor);
    return true;
}

void MainWindow::onLoaded(const jobs::LoadedModel& m) {
    QApplication::restoreOverrideCursor();
    spec_ = m.spec;
    model_ = loader_->model();
    summary_ = m.summary;
    locked_.clear();
    minWidthOf_.clear();
    panel_->setLockedLayers({});
    if (m.isRun) {
        run_.openRun(m.history, m.runFinished);
        auto reopened = m.settings;
        // A run too old to record its data keeps the folder the panel shows.
        if (reopened.value(QStringLiteral("train")).isEmpty()) reopened.values.remove(QStringLiteral("train"));
        panel_->setSettings(reopened);
        for (const auto& l : m.settings.list(QStringLiteral("lock"))) locked_.insert(l);
        minWidthOf_ = m.settings.minWidths();
        panel_->setStatus(m.runFinished ? tr("This run finished: %1.").arg(m.history.stopReason)
                                        : tr("Interrupted after iteration %1: Resume goes on.").arg(m.history.iterations()));
        try {
            liveOriginal_ = std::make_shared<const graph::Graph>(
                io::loadNative(QDir(run_.dir()).filePath(QStringLiteral("original.fpm")).toStdString()));
        } catch (const std::exception& e) {
            liveOriginal_ = model_;  // the live tab then compares the run's model with a quick copy of it
            log_->append(tr("The run's original model cannot be read (%1)").arg(QString::fromUtf8(e.what())),
                         widgets::LogPanel::Level::Warning);
        }
    } else {
        liveOriginal_ = model_;
        run_.openModel();
        auto s = panel_->settings();
        s.runDir.clear();
        s.setList(QStringLiteral("lock"), {});
        s.setMinWidths({});
        panel_->setSettings(s);
        panel_->setStatus({});
    }
    showModel(summary_);  // the graph opens readable at the input; F (View > Fit Graph) shows it all
    table_->resizeColumnsToContents();
    for (auto* p : plots_) p->setRun(run_.history());
    checkpoints_->setRun(run_.history());
    if (m.isRun) run_.showIteration(checkpoints_->chosenIteration());
    else run_.showNone();
    panel_->setModelName(summary_.name.isEmpty() || summary_.name == spec_ ? spec_
                                                                           : QStringLiteral("%1 (%2)").arg(summary_.name, spec_));
    panel_->setRunState(run_.resumable() ? widgets::PruningPanel::RunState::Resumable
                                      : widgets::PruningPanel::RunState::Idle);
    QString line = tr("Opened %1: %2 layers, %3 filters, %4 parameters, %5 MACs")
                       .arg(spec_)
                       .arg(summary_.layers.size())
                       .arg(summary_.filters)
                       .arg(millions(summary_.params), millions(summary_.macs));
    if (m.isRun) line += tr("; run with %1 iterations").arg(run_.history().iterations());
    log_->append(line);
    statusBar()->showMessage(line, 8000);
    addRecent(spec_);
    QSettings().setValue(QStringLiteral("session/last"), spec_);
    updateTitle();
    updateActions();
    updateLiveModels();
    // A measurement saved with what is opened (a run folder's sensitivity.json, or the model's), else none.
    showSensitivity({});
    if (const QString saved = sensitivityFile(); QFileInfo::exists(saved)) {
        try {
            showSensitivity(jobs::SensitivityJob::load(saved));
        } catch (const std::exception& e) {
            log_->append(QString::fromUtf8(e.what()), widgets::LogPanel::Level::Warning);
        }
    }
    emit modelOpened(spec_);
}

void MainWindow::onLoadFailed(const QString& spec, const QString& message) {
    QApplication::restoreOverrideCursor();
    log_->append(message, widgets::LogPanel::Level::Error);
    statusBar()->showMessage(tr("Could not open %1").arg(spec), 8000);
    emit openFailed(spec, message);
    QMessageBox::critical(this, tr("Cannot open %1").arg(QFileInfo(spec).fileName()), message);
}

void MainWindow::updateLiveModels() {
    if (!liveOriginal_) return;
    const QString original =
        (liveOriginal_->name.empty() ? QFileInfo(spec_).fileName() : QString::fromStdString(liveOriginal_->name)) +
        tr(" (original)");
    if (!run_.hasIterations() || !model_ || model_ == liveOriginal_ || run_.shownTitle().isEmpty())
        return live_->setModels(liveOriginal_, nullptr, original);
    live_->setModels(liveOriginal_, model_, original, run_.shownTitle());
}

void MainWindow::showModel(const jobs::ModelSummary& summary) {
    summary_ = summary;
    graph_->setSummary(summary_);
    tableModel_->setSummary(summary_);
    for (auto* p : plots_) p->setModel(summary_);
}

void MainWindow::chooseCheckpoint(const QString& runDir, int iteration, const QString& title) {
    if (!checkpointLoader_->loadCheckpoint(runDir, iteration)) {
        run_.setPending(iteration);  // after the one loading now
        return;
    }
    statusBar()->showMessage(tr("Opening %1 ...").arg(title));
}

void MainWindow::onCheckpointLoaded(const jobs::LoadedModel& m) {
    if (const int next = run_.takePending();
        next != RunSession::kNone && next != m.checkpoint && checkpointLoader_->loadCheckpoint(run_.dir(), next))
        return;
    // A run that went on meanwhile, or another folder opened, makes this choice stale.
    if (!run_.owns(m.spec)) return;
    model_ = checkpointLoader_->model();
    run_.showIteration(m.checkpoint);
    showModel(m.summary);
    updateLiveModels();
    // The plots over the run's iterations mark the chosen one while the timeline does not follow the run.
    for (auto* p : plots_) p->markCheckpoint(checkpoints_->following() ? widgets::PlotBase::kNoMark : m.checkpoint);
    log_->append(tr("Showing the %1 in the graph, the layer table, the live faces and Export").arg(run_.shownTitle()));
    statusBar()->showMessage(tr("Showing the %1").arg(run_.shownTitle()), 8000);
    emit checkpointShown(m.checkpoint);
}

void MainWindow::showIteration(const jobs::IterationSummary& s, bool log) {
    run_.update(s.history);
    for (auto* p : plots_) p->setRun(run_.history());
    checkpoints_->setRun(run_.history());
    // The newest model shows everywhere unless the user chose an earlier one in the timeline.
    if (checkpoints_->following()) {
        if (auto m = pruner_->currentModel(); m && m != model_) {
            model_ = m;
            run_.showIteration(s.iteration);
            updateLiveModels();
        }
        showModel(s.model);
        for (auto* p : plots_) p->markCheckpoint(widgets::PlotBase::kNoMark);
    }
    if (!log || run_.history().points.isEmpty()) return;
    const auto& o = run_.history().points.front();
    const auto& p = run_.history().points.back();
    QString line = tr("Iteration %1: -%2 filters; filters %3, parameters %4 (%5), MACs %6 (%7)")
                       .arg(p.iteration)
                       .arg(p.filtersRemoved)
                       .arg(pct(double(p.filters) / double(std::max<qint64>(1, o.filters))))
                       .arg(millions(p.params), pct(double(p.params) / double(std::max<qint64>(1, o.params))))
                       .arg(millions(p.macs), pct(double(p.macs) / double(std::max<qint64>(1, o.macs))));
    if (p.hasMetric(QStringLiteral("accuracy")))
        line += tr(", accuracy %1, EER %2")
                    .arg(pct(p.metrics.value(QStringLiteral("accuracy"))), pct(p.metrics.value(QStringLiteral("eer"))));
    if (p.latencyMs >= 0) line += tr(", %1 ms per face").arg(p.latencyMs, 0, 'f', 1);
    log_->append(line);
}

QString MainWindow::defaultRunDir() const {
    const QString base = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    QString name = summary_.name.isEmpty() ? QStringLiteral("model") : summary_.name;
    name.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9_.-]")), QStringLiteral("_"));
    return QDir(base).filePath(QStringLiteral("runs/%1-%2").arg(name,
                                                               QDateTime::currentDateTime().toString("yyyyMMdd-HHmmss")));
}

void MainWindow::startPruning() {
    if (pruner_->isBusy()) return;
    if (sensitivityJob_->isBusy()) {
        QMessageBox::information(this, tr("Sensitivity is being measured"),
                                 tr("Wait for the sensitivity measurement to end, or cancel it, before starting a run."));
        return;
    }
    if (spec_.isEmpty() || !model_) {
        QMessageBox::information(this, tr("No model"), tr("Open a model first (File > Open Model, or Ctrl+O)."));
        return;
    }
    auto s = panel_->settings();
    const QString trainDir = s.value(QStringLiteral("train"));
    if (trainDir.isEmpty() || !QFileInfo(trainDir).isDir()) {
        QMessageBox::warning(this, tr("Training folder"),
                             trainDir.isEmpty()
                                 ? tr("Choose a training folder: one sub-folder of face images per person.")
                                 : tr("%1: no such folder. Choose a folder with one sub-folder of face images per "
                                      "person.")
                                       .arg(trainDir));
        return;
    }
    if (s.runDir.isEmpty() || isRunFolder(s.runDir)) s.runDir = defaultRunDir();
    QStringList locked(locked_.begin(), locked_.end());
    locked.sort();
    s.setList(QStringLiteral("lock"), locked);
    s.setMinWidths(minWidthOf_);
    run_.start(s.runDir, s.value(QStringLiteral("iterations")).toInt());
    checkpoints_->clear();
    checkpoints_->setFollowing(true);
    // The run starts from what is open: a run folder's latest model, a file, or a zoo name.
    if (pruner_->start(spec_, s)) {
        panel_->setStatus(tr("Running in %1").arg(s.runDir));
        const QString target = s.value(QStringLiteral("target"));
        log_->append(tr("Pruning %1 with %2, %3 per iteration, %4; run folder %5")
                         .arg(spec_, s.value(QStringLiteral("criterion")), s.value(QStringLiteral("per-iteration")),
                              target.isEmpty() ? tr("at most %1 iterations").arg(run_.maxIterations())
                                               : tr("down to %1").arg(target),
                              s.runDir));
    }
}

void MainWindow::resumeRun() {
    if (pruner_->isBusy() || run_.dir().isEmpty()) return;
    if (pruner_->resume(run_.dir())) panel_->setStatus(tr("Resuming %1").arg(run_.dir()));
}

void MainWindow::onPruneState(jobs::PruneJob::State state) {
    using RS = widgets::PruningPanel::RunState;
    switch (state) {
    case jobs::PruneJob::State::Running: panel_->setRunState(RS::Running); break;
    case jobs::PruneJob::State::Pausing: panel_->setRunState(RS::Pausing); break;
    case jobs::PruneJob::State::Stopping: panel_->setRunState(RS::Stopping); break;
    case jobs::PruneJob::State::Paused: panel_->setRunState(RS::Resumable); break;
    case jobs::PruneJob::State::Idle: panel_->setRunState(run_.resumable() ? RS::Resumable : RS::Idle); break;
    }
    updateActions();
}

void MainWindow::updateActions() {
    const bool busy = pruner_->isBusy();
    const auto st = pruner_->state();
    startAction_->setEnabled(!busy);
    pauseAction_->setEnabled(st == jobs::PruneJob::State::Running);
    stopAction_->setEnabled(st == jobs::PruneJob::State::Running || st == jobs::PruneJob::State::Pausing);
    resumeAction_->setEnabled(!busy && (run_.resumable() || st == jobs::PruneJob::State::Paused));
    exportAction_->setEnabled(model_ != nullptr);
    saveAction_->setEnabled(model_ != nullptr);
    if (!busy) panel_->setRunState(run_.resumable() || st == jobs::PruneJob::State::Paused
                                       ? widgets::PruningPanel::RunState::Resumable
                                       : widgets::PruningPanel::RunState::Idle);
}

void MainWindow::setLock(const QString& layer, bool locked) {
    const int i = summary_.indexOf(layer);
    if (i < 0 || !summary_.layers[i].prunable) return;
    if (locked) locked_.insert(layer);
    else locked_.remove(layer);
    summary_.layers[i].locked = locked;
    tableModel_->setLocked(layer, locked);
    graph_->setLocked(layer, locked);
    QStringList list(locked_.begin(), locked_.end());
    list.sort();
    panel_->setLockedLayers(list);
    QString line = locked ? tr("Locked %1: the pruner keeps all its filters").arg(layer) : tr("Unlocked %1").arg(layer);
    if (pruner_->isBusy()) line += tr(" (from the next run on)");
    log_->append(line);
}

void MainWindow::selectInTable(const QString& layer) {
    const int row = tableModel_->rowOf(layer);
    if (row < 0) return;
    const QModelIndex index = proxy_->mapFromSource(tableModel_->index(row, 0));
    syncing_ = true;
    table_->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    table_->scrollTo(index);
    syncing_ = false;
}

void MainWindow::findLayer() {
    const QString text = findEdit_->text().trimmed();
    if (text.isEmpty()) return;
    if (!graph_->findNextLayer(text)) statusBar()->showMessage(tr("No layer name contains \"%1\"").arg(text), 5000);
}

QString MainWindow::sensitivityFile() const {
    if (!run_.dir().isEmpty() && isRunFolder(run_.dir())) return QDir(run_.dir()).filePath(QStringLiteral("sensitivity.json"));
    QString name = summary_.name.isEmpty() ? QStringLiteral("model") : summary_.name;
    name.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9_.-]")), QStringLiteral("_"));
    const QString dir = QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)).filePath("sensitivity");
    QDir().mkpath(dir);
    return QDir(dir).filePath(name + QStringLiteral(".json"));
}

bool MainWindow::showFileOnLiveFaces(const QString& path) {
    if (!liveOriginal_) {
        QMessageBox::information(this, tr("Live faces"), tr("Open the original model first: the file is compared with it."));
        return false;
    }
    return liveFileLoader_->load(path);
}

bool MainWindow::measureSensitivity() {
    if (!model_) {
        QMessageBox::information(this, tr("Layer sensitivity"), tr("Open a model first."));
        return false;
    }
    if (pruner_->isBusy() || sensitivityJob_->isBusy()) return false;
    auto s = panel_->settings();
    s.setList(QStringLiteral("lock"), QStringList(locked_.begin(), locked_.end()));
    if (s.value(QStringLiteral("verify-fraction")).toDouble() <= 0 && s.value(QStringLiteral("pairs")).isEmpty()) {
        QMessageBox::information(this, tr("Layer sensitivity"),
                                 tr("Sensitivity is measured by verification: hold out some people (Data > Held out "
                                    "for verification) or give a pairs file."));
        return false;
    }
    if (!sensitivityJob_->start(model_, s, sensitivityFile())) return false;
    sensitivity_->setBusy(true);
    sensitivity_->setStatus(tr("Preparing the faces ..."));
    plotTabs_->setCurrentWidget(sensitivity_);
    log_->append(tr("Measuring layer sensitivity of %1 on %2").arg(summary_.name, s.value(QStringLiteral("train"))));
    return true;
}

void MainWindow::showSensitivity(const jobs::SensitivityTable& t) {
    sensitivity_->setTable(t);
    QMap<QString, double> loss;  // at the largest share, for every layer of each block
    for (const auto& b : t.blocks)
        for (const auto& layer : b.members) loss.insert(layer, b.accuracyLoss.isEmpty() ? 0.0 : b.accuracyLoss.back());
    tableModel_->setSensitivity(loss, t.shares.isEmpty() ? 0.0 : t.shares.back());
}

void MainWindow::applyLimits(const QVector<jobs::SensitivityTable::Limit>& limits) {
    int locks = 0, widths = 0;
    for (const auto& l : limits) {
        if (l.lock) {
            setLock(l.layer, true);
            ++locks;
        } else if (l.minWidth > 0) {
            minWidthOf_.insert(l.layer, l.minWidth);
            ++widths;
        }
    }
    auto s = panel_->settings();  // the panel shows the widths the next run gets
    s.setMinWidths(minWidthOf_);
    panel_->setSettings(s);
    const QString text = tr("Applied to the next run: %1 layers locked, %2 minimum widths").arg(locks).arg(widths);
    log_->append(text);
    statusBar()->showMessage(text, 8000);
}

QList<QPair<QString, QString>> MainWindow::shortcuts() const {
    QList<QPair<QString, QString>> out;
    for (const QAction* menu : menuBar()->actions()) {
        if (!menu->menu()) continue;
        for (const QAction* a : menu->menu()->actions())
            if (!a->shortcut().isEmpty())
                out.append({a->shortcut().toString(QKeySequence::NativeText), a->text().remove(QLatin1Char('&'))});
    }
    // Keys the graph handles itself, when it has the focus.
    out.append({QStringLiteral("+ / -"), tr("Zoom the graph in / out")});
    out.append({QStringLiteral("0"), tr("Graph at 100%")});
    out.append({tr("Double-click a layer"), tr("Lock or unlock it (a locked layer keeps all its filters)")});
    out.append({tr("Right-click a plot"), tr("Save it as PNG or PDF, or reset its view")});
    return out;
}

void MainWindow::showShortcuts() {
    QString rows;
    for (const auto& [keys, what] : shortcuts())
        rows += QStringLiteral("<tr><td><b>%1</b>&nbsp;&nbsp;</td><td>%2</td></tr>").arg(keys.toHtmlEscaped(), what.toHtmlEscaped());
    QMessageBox box(QMessageBox::NoIcon, tr("Keyboard Shortcuts"), QStringLiteral("<table>%1</table>").arg(rows),
                    QMessageBox::Close, this);
    box.exec();
}

QString MainWindow::runProgressText() const { return runProgress_->isVisible() ? runProgress_->text() : QString(); }

void MainWindow::openFileDialog() {
    const QString dir = QSettings().value(QStringLiteral("dialogs/modelDir"), QDir::homePath()).toString();
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open Model"), dir,
        tr("Models (*.onnx *.fpm *.json);;ONNX (*.onnx);;FacePrune (*.fpm);;face-api manifest (*.json);;All files (*)"));
    if (path.isEmpty()) return;
    QSettings().setValue(QStringLiteral("dialogs/modelDir"), QFileInfo(path).absolutePath());
    openModel(path);
}

void MainWindow::openRunDialog() {
    const QString base = QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)).filePath("runs");
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Open Run Folder"), base);
    if (dir.isEmpty()) return;
    if (!isRunFolder(dir)) {
        QMessageBox::warning(this, tr("Not a run folder"),
                             tr("%1: not a pruning run folder (it has no run.json and original.fpm).").arg(dir));
        return;
    }
    openModel(dir);
}

void MainWindow::compareRunsDialog() {
    const QString dir = QFileDialog::getExistingDirectory(
        this, tr("A run folder, or a study folder (one run per criterion)"),
        run_.dir().isEmpty() ? QFileInfo(defaultRunDir()).path() : QFileInfo(run_.dir()).path());
    if (!dir.isEmpty()) compareRuns({dir});
}

bool MainWindow::compareRuns(const QStringList& folders) {
    QVector<jobs::RunHistory> runs = comparison_->runs();
    try {
        for (const auto& run : jobs::RunComparison::load(folders)) {
            // The same folder twice would draw one curve over another: the newer read replaces it.
            runs.erase(std::remove_if(runs.begin(), runs.end(), [&](const auto& r) { return r.runDir == run.runDir; }),
                       runs.end());
            runs.push_back(run);
        }
    } catch (const std::exception& e) {
        const QString message = QString::fromUtf8(e.what());
        log_->append(message, widgets::LogPanel::Level::Error);
        QMessageBox::warning(this, tr("Compare runs"), message);
        return false;
    }
    comparison_->setRuns(runs);
    plotTabs_->setCurrentWidget(comparison_);
    log_->append(tr("Comparing %1 runs").arg(runs.size()));
    return true;
}

void MainWindow::saveModelDialog() {
    if (!model_) return;
    QDialog* d = showExportDialog();
    if (auto* e = qobject_cast<ExportDialog*>(d)) e->setFormat(jobs::ExportRequest::Format::Native);
}

QDialog* MainWindow::showExportDialog() {
    if (!model_) {
        QMessageBox::information(this, tr("Export"), tr("Open a model first."));
        return nullptr;
    }
    auto* d = new ExportDialog(model_, summary_, run_.dir().isEmpty() ? QDir::homePath() : run_.dir(), this);
    d->setOriginal(liveOriginal_);
    d->setAttribute(Qt::WA_DeleteOnClose);
    connect(d, &ExportDialog::exported, this, [this](const jobs::ExportResult& r) {
        log_->append(tr("Wrote %1 (%2, %3 bytes). %4")
                         .arg(r.path, r.description)
                         .arg(r.bytes)
                         .arg(QString::fromStdString(r.check.text)),
                     r.check.agrees ? widgets::LogPanel::Level::Info : widgets::LogPanel::Level::Warning);
        lastExport_ = r;
    });
    d->show();
    return d;
}

bool MainWindow::writeReport(const QString& path) {
    if (run_.dir().isEmpty() || run_.history().isEmpty()) {
        QMessageBox::information(this, tr("Report"), tr("Open or run a pruning run first: the report describes a run."));
        return false;
    }
    ReportInput in;
    in.history = run_.history();
    in.model = summary_;
    in.modelTitle = run_.shownTitle();
    in.plots = plots_;
    if (lastExport_ && QFileInfo::exists(lastExport_->path)) in.lastExport = lastExport_;
    if (const QString error = ReportWriter::write(path, in); !error.isEmpty()) {
        log_->append(error, widgets::LogPanel::Level::Error);
        QMessageBox::warning(this, tr("Report"), error);
        return false;
    }
    log_->append(tr("Wrote the report %1").arg(path));
    statusBar()->showMessage(tr("Wrote the report %1").arg(path), 8000);
    return true;
}

void MainWindow::reportDialog() {
    const QString path = QFileDialog::getSaveFileName(this, tr("Write Report"), QDir(run_.dir()).filePath("report.html"),
                                                      tr("HTML (*.html)"));
    if (!path.isEmpty()) writeReport(path);
}

void MainWindow::exportGraphDialog() {
    const QString path = QFileDialog::getSaveFileName(this, tr("Export Graph Picture"),
                                                      QDir::home().filePath(summary_.name + "-graph.svg"),
                                                      tr("SVG (*.svg);;PNG (*.png)"));
    if (path.isEmpty()) return;
    const bool ok = path.endsWith(QLatin1String(".png"), Qt::CaseInsensitive) ? graph_->exportPng(path)
                                                                               : graph_->exportSvg(path);
    if (!ok) QMessageBox::warning(this, tr("Export Graph Picture"), tr("%1: could not be written.").arg(path));
    else log_->append(tr("Wrote %1").arg(path));
}

void MainWindow::addRecent(const QString& spec) {
    if (spec.isEmpty()) return;
    QSettings s;
    QStringList list = s.value(QStringLiteral("recent")).toStringList();
    list.removeAll(spec);
    list.prepend(spec);
    while (list.size() > kMaxRecent) list.removeLast();
    s.setValue(QStringLiteral("recent"), list);
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu() {
    recentMenu_->clear();
    const QStringList list = QSettings().value(QStringLiteral("recent")).toStringList();
    for (int i = 0; i < list.size(); ++i) {
        const QString spec = list[i];
        auto* a = recentMenu_->addAction(QStringLiteral("&%1  %2").arg(i + 1).arg(spec));
        connect(a, &QAction::triggered, this, [this, spec] { openModel(spec); });
    }
    recentMenu_->setEnabled(!list.isEmpty());
    if (!list.isEmpty()) {
        recentMenu_->addSeparator();
        recentMenu_->addAction(tr("Clear List"), this, [this] {
            QSettings().remove(QStringLiteral("recent"));
            rebuildRecentMenu();
        });
    }
}

void MainWindow::updateTitle() {
    setWindowTitle(spec_.isEmpty() ? tr("FacePrune") : tr("%1 — FacePrune").arg(QFileInfo(spec_).fileName()));
}

void MainWindow::restoreLayout() {
    QSettings s;
    if (!restoreGeometry(s.value(QStringLiteral("window/geometry")).toByteArray())) resize(1500, 950);
    restoreState(s.value(QStringLiteral("window/state")).toByteArray(), kLayoutVersion);
}

void MainWindow::saveLayout() {
    QSettings s;
    s.setValue(QStringLiteral("window/geometry"), saveGeometry());
    s.setValue(QStringLiteral("window/state"), saveState(kLayoutVersion));
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (pruner_->isBusy()) {
        const auto answer = QMessageBox::question(
            this, tr("A run is going on"),
            tr("Stop the pruning run and quit? Every completed iteration is kept in %1; open the folder later "
               "to resume.")
                .arg(run_.dir()));
        if (answer != QMessageBox::Yes) {
            event->ignore();
            return;
        }
        pruner_->stop();
    }
    saveLayout();
    event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    const auto urls = event->mimeData()->urls();
    if (!urls.isEmpty() && urls.front().isLocalFile()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    const auto urls = event->mimeData()->urls();
    if (urls.isEmpty() || !urls.front().isLocalFile()) return;
    event->acceptProposedAction();
    openModel(urls.front().toLocalFile());
}

}  // namespace fp::gui
