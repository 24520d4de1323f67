#pragma once
// Drives the real window without a person, for demos and screenshots: opens a
// model, runs a short pruning run on a face folder, then saves a picture of
// every view (window, graph, layer table, each plot tab, panel, log, export
// dialog) with QWidget::grab, and reports how responsive the window stayed.
#include <QObject>
#include <QString>

#include "app/gui/EventLoopProbe.h"

namespace fp::gui {

class MainWindow;

class ScreenshotDriver : public QObject {
    Q_OBJECT
public:
    struct Options {
        QString model = QStringLiteral("mobilefacenet");
        QString trainDir;
        int limitIdentities = 16;
        int iterations = 2;
        int scoringBatches = 2;
        int batchSize = 16;
        double verifyFraction = 0.5;
        QString runDir;          // empty: a fresh folder in the output (or temp) directory
        QString outDir;          // empty: run only, no pictures, the window stays open
    };

    ScreenshotDriver(MainWindow* window, Options options, QObject* parent = nullptr);
    void start();

signals:
    void done(int exitCode);

private:
    void onOpened();
    void onRunEnded();
    void capture();
    bool captureLive();
    bool captureSensitivity();
    bool grab(QWidget* w, const QString& name);
    void fail(const QString& message);

    MainWindow* window_;
    Options options_;
    EventLoopProbe probe_;
    bool started_ = false;
};

}  // namespace fp::gui
