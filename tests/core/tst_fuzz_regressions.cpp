// Every input a fuzz target once crashed on (or that was crafted for it, such as a weight declaring
// 1e12 elements) stays refused with a message: each file under tests/data/fuzz-regressions/<target>/
// goes to that target's reader (fuzz/FuzzReaders.h, the code the fuzz target runs) and must throw
// fp::Error; a crash, a sanitizer report or any other exception fails the suite. scripts/fuzz.sh
// finds such inputs; fuzz/make_crafted_regressions.py writes the crafted ones.
#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <typeinfo>

#include "../../fuzz/FuzzReaders.h"
#include "util/Errors.h"

namespace fs = std::filesystem;

namespace {

const fs::path kRegressions = fs::path(FP_SOURCE_DIR) / "tests/data/fuzz-regressions";

}  // namespace

class TestFuzzRegressions : public QObject {
    Q_OBJECT
private slots:
    void refusedWithMessage_data() {
        QTest::addColumn<QString>("target");
        QTest::addColumn<QString>("file");
        std::vector<fs::path> files;
        for (const auto& dir : fs::directory_iterator(kRegressions))
            for (const auto& f : fs::directory_iterator(dir.path())) files.push_back(f.path());
        std::sort(files.begin(), files.end());
        for (const auto& f : files) {
            const std::string target = f.parent_path().filename().string();
            QTest::newRow((target + "/" + f.filename().string()).c_str())
                << QString::fromStdString(target) << QString::fromStdString(f.string());
        }
    }

    void refusedWithMessage() {
        QFETCH(QString, target);
        QFETCH(QString, file);
        QTemporaryDir scratch;
        QVERIFY(scratch.isValid());
        try {
            if (!fp::fuzz::readAs(target.toStdString(), file.toStdString(), scratch.path().toStdString()))
                QFAIL(qPrintable(target + ": no such fuzz target (a folder of fuzz-regressions/ must name one)"));
        } catch (const fp::Error& e) {
            // The message names the file (the readers' convention; face-api's reader names the
            // manifest or the weights it was split into).
            const QString message = QString::fromUtf8(e.what());
            QVERIFY2(message.contains(QFileInfo(file).fileName()) || message.contains(QStringLiteral("manifest.json")) ||
                         message.contains(QStringLiteral("weights.bin")),
                     e.what());
            return;
        } catch (const std::exception& e) {
            QFAIL(qPrintable(QStringLiteral("threw %1, not fp::Error: %2").arg(typeid(e).name(), e.what())));
        }
        QFAIL("the reader accepted the file; a regression input must be refused with fp::Error");
    }

    // The crafted inputs are there: a shape declaring 1e12 elements is refused before any allocation.
    void absurdShapesAreCovered() {
        for (const char* f : {"fuzz_onnx_importer/tensor-declares-1e12-elements-raw",
                              "fuzz_onnx_importer/constant-of-shape-1e12-elements",
                              "fuzz_native_format/weight-declares-1e12-elements"}) {
            QVERIFY2(fs::is_regular_file(kRegressions / f), f);
            try {
                fp::fuzz::readAs(fs::path(f).parent_path().string(), kRegressions / f, fs::temp_directory_path());
                QFAIL(f);
            } catch (const fp::Error& e) {
                QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("refusing to allocate")), e.what());
            }
        }
    }
};

QTEST_GUILESS_MAIN(TestFuzzRegressions)
#include "tst_fuzz_regressions.moc"
