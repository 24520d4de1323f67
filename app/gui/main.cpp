// faceprune: the FacePrune workbench.
//   faceprune [MODEL_OR_RUN]     zoo name, model file or run folder (default: the last
//                                session when it was a run, else mobilefacenet)
//   --demo-run / --screenshots DIR   a short unattended run (and pictures of every view)
#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QSettings>
#include <QTimer>
#include <cstdio>

#include "app/gui/MainWindow.h"
#include "app/gui/ScreenshotDriver.h"
#include "jobs/SettingsLock.h"
#include "prune/PruneRun.h"
#include "util/Assets.h"
#include "util/Runtime.h"
#include "widgets/PruningPanel.h"

int main(int argc, char** argv) {
    fp::util::configureRuntime();
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("FacePrune"));
    QApplication::setApplicationName(QStringLiteral("FacePrune"));
    QApplication::setApplicationVersion(QStringLiteral(FACEPRUNE_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("io.github.faceprune.FacePrune"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/faceprune.svg")));
    fp::jobs::releaseStaleSettingsLock(QSettings().fileName());  // a crash mid-save must not stall the next

    QCommandLineParser cli;
    cli.setApplicationDescription(QStringLiteral("FacePrune: Taylor filter pruning for face-recognition CNNs"));
    cli.addHelpOption();
    cli.addVersionOption();
    cli.addPositionalArgument(QStringLiteral("MODEL_OR_RUN"),
                              QStringLiteral("Zoo name (mobilefacenet, faceapi-dlib, squeezenet, mobilenetv2, "
                                             "resnet50), model file (.onnx, .fpm, face-api .json) or run folder"),
                              QStringLiteral("[MODEL_OR_RUN]"));
    const QCommandLineOption train(QStringLiteral("train"), QStringLiteral("Training folder (default $FACEPRUNE_DATA)"),
                                   QStringLiteral("DIR"));
    const QCommandLineOption demo(QStringLiteral("demo-run"), QStringLiteral("Open the model and run a short pruning run"));
    const QCommandLineOption shots(QStringLiteral("screenshots"),
                                   QStringLiteral("Run the demo, save a picture of every view into DIR, quit"),
                                   QStringLiteral("DIR"));
    const QCommandLineOption limit(QStringLiteral("limit"), QStringLiteral("Demo: people used (16)"), QStringLiteral("N"),
                                   QStringLiteral("16"));
    const QCommandLineOption iterations(QStringLiteral("iterations"), QStringLiteral("Demo: iterations (2)"),
                                        QStringLiteral("N"), QStringLiteral("2"));
    const QCommandLineOption runDir(QStringLiteral("run-dir"), QStringLiteral("Demo: run folder"), QStringLiteral("DIR"));
    cli.addOptions({train, demo, shots, limit, iterations, runDir});
    cli.process(app);

    fp::gui::MainWindow window;
    window.show();

    const QStringList args = cli.positionalArguments();
    QString spec = args.value(0);
    const QString trainDir = cli.isSet(train) ? cli.value(train)
                                              : QDir::cleanPath(QString::fromStdString(fp::assets::faceDataDir().string()));
    if (cli.isSet(demo) || cli.isSet(shots)) {
        fp::gui::ScreenshotDriver::Options o;
        if (!spec.isEmpty()) o.model = spec;
        o.trainDir = trainDir;
        o.limitIdentities = cli.value(limit).toInt();
        o.iterations = cli.value(iterations).toInt();
        o.outDir = cli.value(shots);
        o.runDir = cli.value(runDir);
        auto* driver = new fp::gui::ScreenshotDriver(&window, o, &app);
        QObject::connect(driver, &fp::gui::ScreenshotDriver::done, &app, [&](int code) {
            if (cli.isSet(shots)) QApplication::exit(code);
        });
        QTimer::singleShot(0, driver, &fp::gui::ScreenshotDriver::start);
        return QApplication::exec();
    }

    if (cli.isSet(train)) {
        auto s = window.pruningPanel()->settings();
        s.setValue(QStringLiteral("train"), trainDir);
        window.pruningPanel()->setSettings(s);
    }
    if (spec.isEmpty()) {
        // Reopen the last session when it was a pruning run that still exists.
        const QString last = QSettings().value(QStringLiteral("session/last")).toString();
        spec = !last.isEmpty() && fp::prune::PruneRun::isRunDir(last.toStdString()) ? last
                                                                                    : QStringLiteral("mobilefacenet");
    }
    QTimer::singleShot(0, &window, [&window, spec] { window.openModel(spec); });
    return QApplication::exec();
}
