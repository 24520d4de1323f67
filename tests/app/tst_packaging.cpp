// `cmake --install` puts what a desktop needs in place: both programs, a
// .desktop entry that launches the GUI with the installed icon, and AppStream
// metadata that points at that entry; CPack is set up to build a .deb whose
// dependencies come from dpkg-shlibdeps.
#include <QtTest>

class TestPackaging : public QObject {
    Q_OBJECT
private slots:
    void installPutsProgramsDesktopEntryIconAndMetadata() {
        QTemporaryDir prefix;
        QProcess cmake;
        cmake.start("cmake", {"--install", FP_BUILD_DIR, "--prefix", prefix.path()});
        QVERIFY(cmake.waitForFinished(120000));
        QVERIFY2(cmake.exitCode() == 0, cmake.readAllStandardError().constData());

        const QDir root(prefix.path());
        const QString id = "io.github.faceprune.FacePrune";
        for (const QString bin : {"bin/faceprune", "bin/faceprune-cli"}) {
            QFileInfo fi(root.filePath(bin));
            QVERIFY2(fi.isFile() && fi.isExecutable(), qPrintable(bin));
        }
        QFile desktop(root.filePath("share/applications/" + id + ".desktop"));
        QVERIFY(desktop.open(QIODevice::ReadOnly));
        const QString entry = desktop.readAll();
        QVERIFY(entry.startsWith("[Desktop Entry]"));
        QVERIFY(entry.contains("\nExec=faceprune"));
        QVERIFY(entry.contains("\nIcon=" + id + "\n"));
        QVERIFY(QFile::exists(root.filePath("share/icons/hicolor/scalable/apps/" + id + ".svg")));
        QFile meta(root.filePath("share/metainfo/" + id + ".metainfo.xml"));
        QVERIFY(meta.open(QIODevice::ReadOnly));
        const QString xml = meta.readAll();
        QVERIFY(xml.contains("<id>" + id + "</id>"));
        QVERIFY(xml.contains(id + ".desktop</launchable>"));

        // Validators, where the machine has them.
        const QString validate = QStandardPaths::findExecutable("desktop-file-validate");
        if (!validate.isEmpty()) {
            QProcess p;
            p.start(validate, {desktop.fileName()});
            QVERIFY(p.waitForFinished(30000));
            QVERIFY2(p.exitCode() == 0, p.readAllStandardOutput().constData());
        }
    }

    void cpackBuildsADebWithShlibdeps() {
        QFile config(QString(FP_BUILD_DIR) + "/CPackConfig.cmake");
        QVERIFY(config.open(QIODevice::ReadOnly));
        const QString text = config.readAll();
        QVERIFY(text.contains("set(CPACK_GENERATOR \"DEB\")"));
        QVERIFY(text.contains("set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS \"ON\")"));
    }
};

QTEST_GUILESS_MAIN(TestPackaging)
#include "tst_packaging.moc"
