// `cmake --install` puts what a desktop needs in place: both programs, a
// .desktop entry that launches the GUI with the installed icon, and AppStream
// metadata that points at that entry; `cpack -G DEB` builds a .deb that holds
// them, with dependencies that dpkg-shlibdeps found.
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
        QTemporaryDir out;
        QProcess cpack;
        cpack.setWorkingDirectory(FP_BUILD_DIR);
        cpack.start("cpack", {"-G", "DEB", "-B", out.path(), "--config", QString(FP_BUILD_DIR) + "/CPackConfig.cmake"});
        QVERIFY(cpack.waitForFinished(600000));
        QVERIFY2(cpack.exitCode() == 0, (cpack.readAllStandardOutput() + cpack.readAllStandardError()).constData());
        const QStringList debs = QDir(out.path()).entryList({"faceprune_*.deb"}, QDir::Files);
        QCOMPARE(debs.size(), 1);
        const QString deb = QDir(out.path()).filePath(debs.first());

        const auto dpkgDeb = [](const QStringList& args) {
            QProcess p;
            p.start("dpkg-deb", args);
            p.waitForFinished(60000);
            return QString::fromUtf8(p.readAllStandardOutput());
        };
        const QString contents = dpkgDeb({"--contents", deb});
        for (const QString path : {"./usr/bin/faceprune\n", "./usr/bin/faceprune-cli\n",
                                   "./usr/share/applications/io.github.faceprune.FacePrune.desktop\n"})
            QVERIFY2(contents.contains(path), qPrintable(path));
        // Found by dpkg-shlibdeps from the binaries, not written by hand.
        const QString depends = dpkgDeb({"--field", deb, "Depends"});
        qInfo("%s: %.1f MB, Depends: %s", qPrintable(debs.first()), QFileInfo(deb).size() / 1e6,
              qPrintable(depends.trimmed()));
        QVERIFY2(depends.contains("libtorch") && depends.contains("libqt6widgets6") && depends.contains("libopencv"),
                 qPrintable(depends));
    }
};

QTEST_GUILESS_MAIN(TestPackaging)
#include "tst_packaging.moc"
