// Pair lists: LFW's pairs.txt with the mistakes people make in it (wrong counts, a missing image,
// a mangled line) reported by file and line, and pairs generated from identity folders.
#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>

#include <opencv2/imgcodecs.hpp>

#include "RequireData.h"
#include "data/FaceFolders.h"
#include "eval/Pairs.h"
#include "util/Assets.h"
#include "util/Errors.h"

using namespace fp;
using namespace fp::eval;
namespace fs = std::filesystem;

namespace {

// ROOT/name/name_%04d.jpg for n = 1..count (only existence matters to the reader).
void makeLfw(const fs::path& root, const std::string& name, int count) {
    fs::create_directories(root / name);
    for (int i = 1; i <= count; ++i) {
        char file[64];
        std::snprintf(file, sizeof file, "%s_%04d.jpg", name.c_str(), i);
        std::ofstream(root / name / file) << "x";
    }
}

fs::path writeText(const fs::path& path, const std::string& text) {
    std::ofstream(path) << text;
    return path;
}

std::string errorOf(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const InputError& e) {
        return e.what();
    }
    return {};
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// Two folds of two matched and two mismatched pairs.
const char* kGood =
    "2\t2\n"
    "Alice\t1\t2\n"
    "Bob\t1\t3\n"
    "Alice\t1\tBob\t2\n"
    "Carol\t1\tDave\t1\n"
    "Carol\t1\t2\n"
    "Dave\t1\t2\n"
    "Alice\t3\tCarol\t2\n"
    "Bob\t3\tDave\t2\n";

}  // namespace

class TestPairs : public QObject {
    Q_OBJECT

    QTemporaryDir tmp_;
    fs::path root_;

private slots:
    void initTestCase() {
        root_ = fs::path(tmp_.path().toStdString()) / "lfw";
        makeLfw(root_, "Alice", 3);
        makeLfw(root_, "Bob", 3);
        makeLfw(root_, "Carol", 2);
        makeLfw(root_, "Dave", 2);
    }

    void readsLfwPairs() {
        const auto file = writeText(root_.parent_path() / "pairs.txt", kGood);
        const PairList p = readLfwPairs(file, root_);
        QCOMPARE(p.folds, 2);
        QCOMPARE(p.pairs.size(), size_t{8});
        QCOMPARE(p.matched(), size_t{4});
        QCOMPARE(p.images.size(), size_t{10});  // each image once
        QVERIFY(p.pairs[0].same && p.pairs[0].fold == 0);
        QVERIFY(!p.pairs[2].same && p.pairs[2].fold == 0);
        QVERIFY(p.pairs[4].same && p.pairs[4].fold == 1);
        QCOMPARE(p.images[p.pairs[0].a], root_ / "Alice" / "Alice_0001.jpg");
        QCOMPARE(p.images[p.pairs[1].b], root_ / "Bob" / "Bob_0003.jpg");
        QCOMPARE(p.pairs[2].a, p.pairs[0].a);  // Alice 1 again: the same image entry
        QCOMPARE(p.images[p.pairs[7].b], root_ / "Dave" / "Dave_0002.jpg");

        // pairsDevTest.txt style: a lone count is one fold.
        const auto dev = writeText(root_.parent_path() / "dev.txt", "1\nAlice 1 2\nBob 1 Carol 1\n");
        QCOMPARE(readLfwPairs(dev, root_).folds, 1);
    }

    void wrongCountsNameFileAndLine() {
        // The header promises 2 x (2 + 2) = 8 pairs, the file has 7.
        std::string text = kGood;
        text.erase(text.rfind("Bob\t3"));
        const auto shortFile = writeText(root_.parent_path() / "short.txt", text);
        std::string e = errorOf([&] { readLfwPairs(shortFile, root_); });
        QVERIFY2(contains(e, shortFile.string()) && contains(e, "= 8 pairs") && contains(e, "ends after 7"),
                 e.c_str());

        // One matched line too many in fold 1: line 4 should be mismatched.
        text = kGood;
        text.insert(text.find("Alice\t1\tBob"), "Carol\t1\t2\n");
        const auto extra = writeText(root_.parent_path() / "extra.txt", text);
        e = errorOf([&] { readLfwPairs(extra, root_); });
        QVERIFY2(contains(e, extra.string() + ":4:") && contains(e, "found a matched pair") &&
                     contains(e, "mismatched pair 1 of 2"),
                 e.c_str());

        // More lines than announced.
        const auto more = writeText(root_.parent_path() / "more.txt", std::string(kGood) + "Alice 2 3\n");
        e = errorOf([&] { readLfwPairs(more, root_); });
        QVERIFY2(contains(e, more.string() + ":10:") && contains(e, "more pairs than expected"), e.c_str());

        const auto header = writeText(root_.parent_path() / "header.txt", "ten 300\nAlice 1 2\n");
        e = errorOf([&] { readLfwPairs(header, root_); });
        QVERIFY2(contains(e, header.string() + ":1:") && contains(e, "header"), e.c_str());
    }

    void missingImageNamesFileAndLine() {
        std::string text = kGood;
        text.replace(text.find("Bob\t1\t3"), 7, "Bob\t1\t7");  // Bob has 3 images
        const auto file = writeText(root_.parent_path() / "missing.txt", text);
        const std::string e = errorOf([&] { readLfwPairs(file, root_); });
        QVERIFY2(contains(e, file.string() + ":3:") &&
                     contains(e, (root_ / "Bob" / "Bob_0007.jpg").string()) && contains(e, "does not exist"),
                 e.c_str());

        text.replace(text.find("Dave\t1\t2"), 8, "Erin\t1\t2");  // a person who is not there
        const auto two = writeText(root_.parent_path() / "missing2.txt", text);
        const std::string e2 = errorOf([&] { readLfwPairs(two, root_); });
        QVERIFY2(contains(e2, ":3:") && contains(e2, "and 2 more"), e2.c_str());
    }

    void malformedLineNamesFileAndLine() {
        std::string text = kGood;
        text.replace(text.find("Bob\t1\t3"), 7, "Bob\t1");
        auto file = writeText(root_.parent_path() / "short-line.txt", text);
        std::string e = errorOf([&] { readLfwPairs(file, root_); });
        QVERIFY2(contains(e, file.string() + ":3:") && contains(e, "expected 'name n1 n2'"), e.c_str());

        text = kGood;
        text.replace(text.find("Bob\t1\t3"), 7, "Bob\tone\t3");
        file = writeText(root_.parent_path() / "word.txt", text);
        e = errorOf([&] { readLfwPairs(file, root_); });
        QVERIFY2(contains(e, file.string() + ":3:") && contains(e, "'one' is not an image number"),
                 e.c_str());

        e = errorOf([&] { readLfwPairs(root_.parent_path() / "nope.txt", root_); });
        QVERIFY2(contains(e, "nope.txt") && contains(e, "not found"), e.c_str());
    }

    void generatesPairsFromFolders() {
        QTemporaryDir tmp;
        const fs::path root = tmp.path().toStdString();
        std::map<std::string, int> counts;
        for (int i = 0; i < 23; ++i) {
            const std::string name = "id" + std::to_string(100 + i);
            counts[name] = 3 + i % 2;  // every fold can then have as many mismatched as matched pairs
            for (int k = 0; k < counts[name]; ++k) {
                fs::create_directories(root / name);
                cv::imwrite((root / name / ("f" + std::to_string(k) + ".png")).string(),
                            cv::Mat(8, 8, CV_8UC3));
            }
        }
        const auto folders = data::FaceFolders::scan(root);
        const PairList p = generatePairs(folders, 5);
        size_t expectedMatched = 0;
        for (const auto& [name, n] : counts) expectedMatched += static_cast<size_t>(n * (n - 1) / 2);
        QCOMPARE(p.folds, 10);
        QCOMPARE(p.matched(), expectedMatched);
        QCOMPARE(p.images.size(), folders.imageCount());

        // Per fold as many mismatched as matched pairs, no pair twice, and nobody in two folds.
        std::map<fs::path, std::string> who;
        for (const auto& id : folders.identities())
            for (const auto& img : id.images) who[img] = id.name;
        std::map<std::string, std::set<int>> foldsOf;
        std::vector<int> matchedIn(10), mismatchedIn(10);
        std::set<std::pair<int, int>> seen;
        for (const Pair& pair : p.pairs) {
            const std::string &a = who[p.images[pair.a]], &b = who[p.images[pair.b]];
            QCOMPARE(a == b, pair.same);
            QVERIFY(pair.a != pair.b);
            QVERIFY2(seen.insert({std::min(pair.a, pair.b), std::max(pair.a, pair.b)}).second,
                     "a pair twice");
            foldsOf[a].insert(pair.fold);
            foldsOf[b].insert(pair.fold);
            (pair.same ? matchedIn : mismatchedIn)[pair.fold]++;
        }
        for (const auto& [name, f] : foldsOf)
            QVERIFY2(f.size() == 1, qPrintable(QString::fromStdString(name)));
        QCOMPARE(foldsOf.size(), size_t{23});
        for (int f = 0; f < 10; ++f) QCOMPARE(mismatchedIn[f], matchedIn[f]);

        // Seeded: the same seed gives the same list, another seed another one.
        const PairList again = generatePairs(folders, 5), other = generatePairs(folders, 6);
        QCOMPARE(again.pairs.size(), p.pairs.size());
        bool same = true, differs = false;
        for (size_t i = 0; i < p.pairs.size(); ++i) {
            same = same && p.pairs[i].a == again.pairs[i].a && p.pairs[i].b == again.pairs[i].b;
            differs = differs || i >= other.pairs.size() || p.pairs[i].a != other.pairs[i].a ||
                      p.pairs[i].b != other.pairs[i].b;
        }
        QVERIFY(same);
        QVERIFY(differs);

        // One person cannot make a mismatched pair.
        data::ScanOptions one;
        one.limitIdentities = 1;
        const std::string e = errorOf([&] { generatePairs(data::FaceFolders::scan(root, one)); });
        QVERIFY2(contains(e, "at least two identities"), e.c_str());
    }

    void generatesLfwIdsPairs() {
        const fs::path root = assets::faceDataDir();
        if (root.empty()) FP_DATA_MISSING("FACEPRUNE_DATA is not set");
        data::ScanOptions twenty;
        twenty.limitIdentities = 20;
        const PairList p = generatePairs(data::FaceFolders::scan(root, twenty));
        // 20 people x C(10, 2) matched pairs, as many mismatched, two people per fold.
        QCOMPARE(p.matched(), size_t{900});
        QCOMPARE(p.mismatched(), size_t{900});
        QCOMPARE(p.images.size(), size_t{200});
    }
};

QTEST_GUILESS_MAIN(TestPairs)
#include "tst_pairs.moc"
