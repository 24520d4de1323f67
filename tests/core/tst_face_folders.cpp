// Identity folders as a user has them: stray files, broken images, empty folders. Nothing of that
// is fatal, everything is reported; a missing or empty data set is an error naming the folder.
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include <opencv2/imgcodecs.hpp>

#include "RequireData.h"
#include "data/FaceFolders.h"
#include "util/Assets.h"
#include "util/Errors.h"

using namespace fp;
using namespace fp::data;
namespace fs = std::filesystem;

namespace {

void writeImage(const fs::path& path, int shade = 128) {
    fs::create_directories(path.parent_path());
    QVERIFY(cv::imwrite(path.string(), cv::Mat(24, 24, CV_8UC3, cv::Scalar::all(shade))));
}

void writeBytes(const fs::path& path, const std::string& bytes) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << bytes;
}

const SkippedFile* skippedFor(const FaceFolders& f, const fs::path& path) {
    for (const auto& s : f.skipped())
        if (s.path == path) return &s;
    return nullptr;
}

std::string errorOf(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const InputError& e) {
        return e.what();
    }
    return {};
}

}  // namespace

class TestFaceFolders : public QObject {
    Q_OBJECT

private slots:
    void skipsAndReportsWhatIsNotAnImage() {
        QTemporaryDir tmp;
        const fs::path root = tmp.path().toStdString();
        writeImage(root / "Alice" / "a1.jpg");
        writeImage(root / "Alice" / "a2.png");
        writeImage(root / "Alice" / "a3.JPG");
        writeBytes(root / "Alice" / "notes.txt", "hello");
        writeBytes(root / "Alice" / "broken.jpg", std::string(600, '\x5a') + "garbage, not a JPEG");
        writeBytes(root / "Alice" / "zero.jpg", "");
        writeImage(root / "Bob" / "b1.jpg");
        writeImage(root / "Bob" / "b2.bmp");
        fs::create_directories(root / "Carol");           // no images at all
        writeBytes(root / "Dave" / "list.csv", "a,b\n");  // nothing usable
        writeBytes(root / "readme.md", "# faces\n");      // not in an identity folder
        writeBytes(root / ".DS_Store", "x");              // hidden: ignored silently
        writeImage(root / "Alice" / "sub" / "deep.jpg");  // nested folders are not scanned

        const FaceFolders f = FaceFolders::scan(root);
        QCOMPARE(f.identityCount(), size_t{2});
        QCOMPARE(f.identities()[0].name, std::string("Alice"));
        QCOMPARE(f.identities()[0].images.size(), size_t{3});
        QCOMPARE(f.identities()[1].name, std::string("Bob"));
        QCOMPARE(f.imageCount(), size_t{5});

        const auto* broken = skippedFor(f, root / "Alice" / "broken.jpg");
        QVERIFY(broken);
        QVERIFY2(broken->reason.find("not a readable image") != std::string::npos, broken->reason.c_str());
        QVERIFY(skippedFor(f, root / "Alice" / "zero.jpg"));
        QVERIFY(skippedFor(f, root / "Alice" / "notes.txt")->reason.find(".txt") != std::string::npos);
        QVERIFY(skippedFor(f, root / "Alice" / "sub"));
        QVERIFY(skippedFor(f, root / "Carol")->reason.find("identity left out") != std::string::npos);
        QVERIFY(skippedFor(f, root / "Dave"));
        QVERIFY(skippedFor(f, root / "Dave" / "list.csv"));
        QVERIFY(skippedFor(f, root / "readme.md")->reason.find("not inside an identity folder") !=
                std::string::npos);
        QVERIFY(!skippedFor(f, root / ".DS_Store"));

        // Labels are identity indices.
        const auto samples = f.samples();
        QCOMPARE(samples.size(), size_t{5});
        QCOMPARE(samples.front().label, int64_t{0});
        QCOMPARE(samples.back().label, int64_t{1});

        // A full decode finds what the signature check let through: a JPEG cut short.
        std::string jpeg;
        {
            std::vector<uchar> buf;
            cv::Mat noise(64, 64, CV_8UC3);
            cv::randu(noise, 0, 255);
            cv::imencode(".jpg", noise, buf);
            jpeg.assign(buf.begin(), buf.begin() + 40);
        }
        writeBytes(root / "Bob" / "cut.jpg", jpeg);
        ScanOptions strict;
        strict.decodeAll = true;
        const FaceFolders g = FaceFolders::scan(root, strict);
        QVERIFY(skippedFor(g, root / "Bob" / "cut.jpg"));
        QCOMPARE(g.imageCount(), size_t{5});

        fs::remove(root / "Bob" / "cut.jpg");
        ScanOptions three;
        three.minImages = 3;
        QCOMPARE(FaceFolders::scan(root, three).identityCount(), size_t{1});  // Bob has two
    }

    void missingOrEmptyFolderIsAnErrorNamingIt() {
        QTemporaryDir tmp;
        const fs::path missing = fs::path(tmp.path().toStdString()) / "no-such-set";
        std::string e = errorOf([&] { FaceFolders::scan(missing); });
        QVERIFY2(
            e.find(missing.string()) != std::string::npos && e.find("does not exist") != std::string::npos,
            e.c_str());

        const fs::path empty = fs::path(tmp.path().toStdString()) / "empty";
        fs::create_directories(empty / "Nobody");
        e = errorOf([&] { FaceFolders::scan(empty); });
        QVERIFY2(
            e.find(empty.string()) != std::string::npos && e.find("no identity folder") != std::string::npos,
            e.c_str());

        const fs::path file = fs::path(tmp.path().toStdString()) / "file.jpg";
        writeImage(file);
        e = errorOf([&] { FaceFolders::scan(file); });
        QVERIFY2(e.find("is a file") != std::string::npos, e.c_str());
    }

    void splitsByIdentityWithASeed() {
        QTemporaryDir tmp;
        const fs::path root = tmp.path().toStdString();
        for (int i = 0; i < 10; ++i)
            for (int k = 0; k <= i % 3; ++k)
                writeImage(root / ("person" + std::to_string(i)) / ("img" + std::to_string(k) + ".png"));
        const FaceFolders f = FaceFolders::scan(root);
        QCOMPARE(f.identityCount(), size_t{10});

        const auto a = f.splitCount(3, 7), b = f.splitCount(3, 7), c = f.splitCount(3, 8);
        QCOMPARE(a.verification.identityCount(), size_t{3});
        QCOMPARE(a.train.identityCount(), size_t{7});
        std::set<std::string> train, verification, again, other;
        for (const auto& id : a.train.identities()) train.insert(id.name);
        for (const auto& id : a.verification.identities()) verification.insert(id.name);
        for (const auto& id : b.verification.identities()) again.insert(id.name);
        for (const auto& id : c.verification.identities()) other.insert(id.name);
        for (const auto& n : verification) QVERIFY2(!train.count(n), "a person in both parts");
        QCOMPARE(train.size() + verification.size(), size_t{10});
        QCOMPARE(again, verification);   // same seed, same split
        QVERIFY(other != verification);  // another seed, another split

        // Training labels are 0..6 over the train identities.
        std::set<int64_t> labels;
        for (const auto& s : a.train.samples()) labels.insert(s.label);
        QCOMPARE(labels.size(), size_t{7});
        QCOMPARE(*labels.rbegin(), int64_t{6});

        const auto byShare = f.split(0.2, 1);
        QCOMPARE(byShare.verification.identityCount(), size_t{2});
        QCOMPARE(f.split(0.0, 1).verification.identityCount(), size_t{1});  // never an empty part
        QCOMPARE(f.split(1.0, 1).train.identityCount(), size_t{1});
    }

    // The held-out people of a run or a training: the same split, refused for a folder too small.
    void holdOutNeedsFourPeopleAndNamesTheFolder() {
        QTemporaryDir tmp;
        const fs::path root = tmp.path().toStdString();
        for (int i = 0; i < 5; ++i)
            for (int k = 0; k < 2; ++k) writeImage(root / ("person" + std::to_string(i)) / ("img" + std::to_string(k) + ".png"));
        const FaceFolders five = FaceFolders::scan(root);
        const auto held = five.holdOut(0.4, 3), split = five.split(0.4, 3);
        QCOMPARE(held.verification.identityCount(), size_t{2});
        for (size_t i = 0; i < 2; ++i) QCOMPARE(held.verification.identities()[i].name, split.verification.identities()[i].name);

        fs::remove_all(root / "person3");
        fs::remove_all(root / "person4");
        try {
            FaceFolders::scan(root).holdOut(0.2, 3);
            QFAIL("three people were split for verification");
        } catch (const fp::InputError& e) {
            QVERIFY2(std::string(e.what()).find(root.string()) != std::string::npos, e.what());
            QVERIFY2(std::string(e.what()).find("3 identities") != std::string::npos, e.what());
        }
    }

    void scansLfwIds() {
        const fs::path root = assets::faceDataDir();
        if (root.empty()) FP_DATA_MISSING("FACEPRUNE_DATA is not set");
        const FaceFolders all = FaceFolders::scan(root);
        qInfo("%s: %zu identities, %zu images, %zu skipped", root.c_str(), all.identityCount(),
              all.imageCount(), all.skipped().size());
        QVERIFY(all.identityCount() >= 100);
        QVERIFY(all.skipped().empty());
        ScanOptions twenty;
        twenty.limitIdentities = 20;
        const FaceFolders some = FaceFolders::scan(root, twenty);
        QCOMPARE(some.identityCount(), size_t{20});
        QCOMPARE(some.identities()[19].name, all.identities()[19].name);
    }
};

QTEST_GUILESS_MAIN(TestFaceFolders)
#include "tst_face_folders.moc"
