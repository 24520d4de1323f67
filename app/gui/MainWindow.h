#pragma once
// The workbench window: the layer graph in the centre; the layer table, the
// pruning panel, the plots (as tabs) and the log in docks the user arranges
// (remembered across runs). Opens models (zoo, pretrained, files, drag and
// drop, run folders as sessions), runs pruning through PruneJob and exports.
#include <QMainWindow>
#include <QMap>
#include <QSet>
#include <QString>
#include <QVector>
#include <memory>
#include <optional>

#include "app/gui/RunSession.h"
#include "graph/Graph.h"
#include "jobs/ExportJob.h"
#include "jobs/IterationSummary.h"
#include "jobs/LoadedModel.h"
#include "jobs/PruneJob.h"
#include "jobs/SensitivityTable.h"

class QAction;
class QLabel;
class QDockWidget;
class QLineEdit;
class QMenu;
class QSortFilterProxyModel;
class QTableView;
class QTabWidget;

namespace fp::jobs {
class ExportJob;
class ModelLoadJob;
class SensitivityJob;
}  // namespace fp::jobs

namespace fp::widgets {
class CheckpointList;
class SensitivityView;
class ComparisonView;
class GraphView;
class LayerTableModel;
class LogPanel;
class PlotBase;
class PruningPanel;
}  // namespace fp::widgets

namespace fp::jobs {
class LiveJob;
}

namespace fp::gui {

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // Zoo name, model file or run folder; loads in the background. False while busy.
    bool openModel(const QString& spec);
    // Adds run folders, or every run of a study folder, to the Compare tab. False (after a message
    // box naming the folder) when one is neither.
    bool compareRuns(const QStringList& folders);
    // A self-contained HTML report of the run shown (ReportWriter). False after a message box.
    bool writeReport(const QString& path);
    // Measures per-layer sensitivity of the model shown on the panel's data, in the background; the
    // result goes to the run folder (or the app's data folder) and into the Sensitivity tab.
    bool measureSensitivity();
    // Any model file as the live tab's pruned model (beside the model the window opened).
    bool showFileOnLiveFaces(const QString& path);
    // Starts a run with the panel's settings (what Start does).
    void startPruning();

    // Every menu action with a shortcut, and the graph's own keys: (keys, what they do).
    QList<QPair<QString, QString>> shortcuts() const;
    QString runProgressText() const;  // the status bar's progress line (empty when no run goes on)

    // For tests and the screenshot driver.
    widgets::GraphView* graphView() const { return graph_; }
    QTableView* layerTable() const { return table_; }
    widgets::LayerTableModel* layerModel() const { return tableModel_; }
    widgets::PruningPanel* pruningPanel() const { return panel_; }
    widgets::LogPanel* logPanel() const { return log_; }
    widgets::CheckpointList* checkpointList() const { return checkpoints_; }
    widgets::ComparisonView* comparisonView() const { return comparison_; }
    widgets::SensitivityView* sensitivityView() const { return sensitivity_; }
    jobs::SensitivityJob* sensitivityJob() const { return sensitivityJob_; }
    // Per-layer minimum widths the next run keeps (applied from sensitivity, or the run reopened).
    const QMap<QString, int>& minWidths() const { return minWidthOf_; }
    QTabWidget* plotTabs() const { return plotTabs_; }
    const QVector<widgets::PlotBase*>& plots() const { return plots_; }
    jobs::PruneJob* pruneJob() const { return pruner_; }
    jobs::LiveJob* liveJob() const { return live_; }
    const jobs::ModelSummary& summary() const { return summary_; }
    const jobs::RunHistory& runHistory() const { return run_.history(); }
    QString currentSpec() const { return spec_; }
    bool isLoading() const;
    std::shared_ptr<const graph::Graph> currentModel() const { return model_; }
    // Opens the export dialog (non-modal) and returns it.
    QDialog* showExportDialog();

signals:
    void modelOpened(const QString& spec);
    void openFailed(const QString& spec, const QString& message);
    void runEnded();  // finished, stopped, paused or failed
    void checkpointShown(int iteration);  // a run's model chosen in the timeline is shown everywhere

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void buildDocks();
    void buildActions();
    void connectJobs();
    void restoreLayout();
    void saveLayout();

    void openFileDialog();
    void openRunDialog();
    void compareRunsDialog();
    void reportDialog();
    void saveModelDialog();
    void exportGraphDialog();
    void findLayer();
    void showShortcuts();
    void showSensitivity(const jobs::SensitivityTable& table);
    void applyLimits(const QVector<jobs::SensitivityTable::Limit>& limits);
    QString sensitivityFile() const;
    void onLoaded(const jobs::LoadedModel& loaded);
    void onLoadFailed(const QString& spec, const QString& message);
    void showIteration(const jobs::IterationSummary& s, bool log);
    // A model of the run chosen in the timeline: graph, table, plots, live tab and Export use it.
    void chooseCheckpoint(const QString& runDir, int iteration, const QString& title);
    void onCheckpointLoaded(const jobs::LoadedModel& loaded);
    void showModel(const jobs::ModelSummary& summary);
    // The live tab compares the model the window opened (or the run's original) with the run's
    // latest model, or with a quick L1 copy when there is no run.
    void updateLiveModels();
    void setLock(const QString& layer, bool locked);
    void selectInTable(const QString& layer);
    void onPruneState(jobs::PruneJob::State state);
    void resumeRun();
    void addRecent(const QString& spec);
    void rebuildRecentMenu();
    void updateTitle();
    void updateActions();
    QString defaultRunDir() const;

    // Widgets
    widgets::GraphView* graph_ = nullptr;
    widgets::LayerTableModel* tableModel_ = nullptr;
    QSortFilterProxyModel* proxy_ = nullptr;
    QTableView* table_ = nullptr;
    widgets::PruningPanel* panel_ = nullptr;
    widgets::LogPanel* log_ = nullptr;
    widgets::CheckpointList* checkpoints_ = nullptr;
    widgets::ComparisonView* comparison_ = nullptr;
    widgets::SensitivityView* sensitivity_ = nullptr;
    QTabWidget* plotTabs_ = nullptr;
    QVector<widgets::PlotBase*> plots_;
    QVector<QDockWidget*> docks_;
    QLineEdit* findEdit_ = nullptr;
    QMenu* recentMenu_ = nullptr;
    QMenu* viewMenu_ = nullptr;
    QAction* startAction_ = nullptr;
    QAction* pauseAction_ = nullptr;
    QAction* resumeAction_ = nullptr;
    QAction* stopAction_ = nullptr;
    QAction* exportAction_ = nullptr;
    QAction* saveAction_ = nullptr;
    QAction* reportAction_ = nullptr;
    QLabel* runProgress_ = nullptr;     // the run's progress line in the status bar

    // Jobs
    jobs::ModelLoadJob* loader_ = nullptr;
    jobs::ModelLoadJob* checkpointLoader_ = nullptr;
    jobs::SensitivityJob* sensitivityJob_ = nullptr;
    jobs::ModelLoadJob* liveFileLoader_ = nullptr;
    jobs::PruneJob* pruner_ = nullptr;
    jobs::LiveJob* live_ = nullptr;

    // What is open
    QString spec_;                      // zoo name, file or run folder
    RunSession run_;                    // the run shown (and resumable), if any
    std::shared_ptr<const graph::Graph> model_;
    std::shared_ptr<const graph::Graph> liveOriginal_;  // the unpruned model of what is open
    std::optional<jobs::ExportResult> lastExport_;  // for the report
    jobs::ModelSummary summary_;
    QSet<QString> locked_;
    QMap<QString, int> minWidthOf_;
    bool syncing_ = false;              // table <-> graph selection echo guard
};

}  // namespace fp::gui
