// A batch split across the ranks of a distributed run (Trainer::setGroup) gives the arithmetic of one
// process on the whole batch: the relational term's shares, and BatchNorm normalising with the whole
// batch's statistics. The two ranks here are two threads that sum through memory, in place of c10d
// (tst_distributed runs whole pruning runs across processes).
#include <QtTest>

#include <barrier>
#include <mutex>
#include <thread>

#include "exec/SyncedBatchNorm.h"
#include "exec/TorchGraph.h"
#include "graph/GraphBuilder.h"
#include "train/TorchTraining.h"

using namespace fp;

namespace {

// exec::CrossRankSum for ranks that are threads of this process.
class ThreadRanks {
public:
    explicit ThreadRanks(int ranks) : arrived_(ranks) {}
    exec::CrossRankSum sum() {
        return [this](torch::Tensor& values) {
            {
                std::lock_guard lock(mutex_);
                total_ = total_.defined() ? total_ + values : values.clone();
            }
            arrived_.arrive_and_wait();
            values.copy_(total_);
            arrived_.arrive_and_wait();
            {
                std::lock_guard lock(mutex_);
                total_ = torch::Tensor();
            }
            arrived_.arrive_and_wait();
        };
    }

private:
    std::barrier<> arrived_;
    std::mutex mutex_;
    torch::Tensor total_;
};

double largest(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

}  // namespace

class TestSplitBatch : public QObject {
    Q_OBJECT
private slots:
    void relationalSharesAddUpToTheWholeBatch() {
        torch::manual_seed(3);
        const torch::Tensor student = torch::randn({7, 5}).requires_grad_(true), teacher = torch::randn({7, 4});
        const torch::Tensor whole = train::relationalLoss(student, teacher);
        whole.backward();
        const torch::Tensor wholeGrad = student.grad().clone();
        student.mutable_grad().zero_();

        // Ranks of 2 and 5 rows, each with every rank's rows normalised and without gradient.
        const torch::Tensor studentAll = train::normaliseRows(student).detach(), teacherAll = train::normaliseRows(teacher);
        torch::Tensor shares = torch::zeros({});
        for (const auto& [first, rows] : {std::pair<int64_t, int64_t>{0, 2}, {2, 5}})
            shares = shares + train::relationalLossShare(student.slice(0, first, first + rows),
                                                         teacher.slice(0, first, first + rows), studentAll, teacherAll,
                                                         first);
        shares.backward();
        QVERIFY(whole.item<double>() > 0.1);  // a loss worth comparing
        QVERIFY2(std::abs(shares.item<double>() - whole.item<double>()) < 1e-6,
                 qPrintable(QString("shares %1, whole batch %2").arg(shares.item<double>()).arg(whole.item<double>())));
        QVERIFY2(largest(student.grad(), wholeGrad) < 1e-6 * std::max(1.0, wholeGrad.abs().max().item<double>()),
                 qPrintable(QString("gradients differ by %1").arg(largest(student.grad(), wholeGrad))));
    }

    // Two ranks of 3 and 5 images (one NCHW, one channels-last) against torch's batch_norm on all 8:
    // outputs, the input's gradient, the parameters' gradients summed over ranks, running statistics.
    void batchNormOnSharesActsAsOnTheWholeBatch() {
        torch::manual_seed(5);
        const torch::Tensor x = torch::randn({8, 3, 4, 4}) * 2 + 1, upstream = torch::randn({8, 3, 4, 4});
        const torch::Tensor weight0 = torch::rand({3}) + 0.5, bias0 = torch::randn({3});
        const torch::Tensor whole = x.clone().requires_grad_(true);
        const torch::Tensor w = weight0.clone().requires_grad_(true), b = bias0.clone().requires_grad_(true);
        torch::Tensor mean = torch::zeros({3}), var = torch::ones({3});
        const torch::Tensor y = torch::batch_norm(whole, w, b, mean, var, true, 0.1, 1e-5, false);
        (y * upstream).sum().backward();

        struct Rank {
            int64_t first, rows;
            bool channelsLast;
            torch::Tensor x, w, b, mean, var, y;
        };
        std::vector<Rank> ranks{{0, 3, false, {}, {}, {}, {}, {}, {}}, {3, 5, true, {}, {}, {}, {}, {}, {}}};
        ThreadRanks world(2);
        const exec::CrossRankSum sum = world.sum();
        std::vector<std::thread> threads;
        for (auto& r : ranks)
            threads.emplace_back([&r, &x, &upstream, &weight0, &bias0, &sum] {
                torch::Tensor mine = x.slice(0, r.first, r.first + r.rows).clone();
                if (r.channelsLast) mine = mine.contiguous(at::MemoryFormat::ChannelsLast);
                r.x = mine.requires_grad_(true);
                r.w = weight0.clone().requires_grad_(true);
                r.b = bias0.clone().requires_grad_(true);
                r.mean = torch::zeros({3});
                r.var = torch::ones({3});
                r.y = exec::syncedBatchNorm(r.x, r.w, r.b, r.mean, r.var, 0.1, 1e-5, sum);
                (r.y * upstream.slice(0, r.first, r.first + r.rows)).sum().backward();
            });
        for (auto& t : threads) t.join();

        const torch::Tensor ySplit = torch::cat({ranks[0].y, ranks[1].y}).detach();
        const torch::Tensor gradSplit = torch::cat({ranks[0].x.grad(), ranks[1].x.grad()});
        QVERIFY2(largest(ySplit, y.detach()) < 1e-5, qPrintable(QString("outputs differ by %1").arg(largest(ySplit, y.detach()))));
        QVERIFY2(largest(gradSplit, whole.grad()) < 1e-5,
                 qPrintable(QString("input gradients differ by %1").arg(largest(gradSplit, whole.grad()))));
        QVERIFY(largest(ranks[0].w.grad() + ranks[1].w.grad(), w.grad()) < 1e-4);
        QVERIFY(largest(ranks[0].b.grad() + ranks[1].b.grad(), b.grad()) < 1e-4);
        for (const auto& r : ranks) {
            QVERIFY(largest(r.mean, mean) < 1e-6);
            QVERIFY(largest(r.var, var) < 1e-5);
        }
        // Each rank alone would have normalised with its own statistics: visibly different.
        const torch::Tensor alone = torch::batch_norm(x.slice(0, 0, 3), weight0, bias0, {}, {}, true, 0.1, 1e-5, false);
        QVERIFY(largest(alone, y.detach().slice(0, 0, 3)) > 1e-2);
    }

    // The executor plans a training pass's BatchNorm across ranks once a sum is set; with a world of one
    // the values are those of LibTorch's batch_norm.
    void trainingPassesPlanBatchNormAcrossRanks() {
        graph::GraphBuilder builder("bn", {3, 16, 16}, 7);
        auto h = builder.conv(builder.input(), "conv", {.out = 6, .kernel = 3, .pad = 1});
        h = builder.relu(builder.batchNorm(h, "conv.bn"), "conv.relu");
        const graph::Graph g = builder.finish(builder.flatten(builder.globalAvgPool(h, "gap"), "embedding"));
        const torch::Tensor x = torch::randn({4, 3, 16, 16});

        exec::TorchGraph plain(g), synced(g);
        plain.setTraining(true);
        synced.setTraining(true);
        synced.setCrossRankSum([](torch::Tensor&) {});  // a world of one rank
        const torch::Tensor a = plain.forward(x).at("embedding"), b = synced.forward(x).at("embedding");
        QVERIFY2(largest(a, b) < 1e-5, qPrintable(QString("differ by %1").arg(largest(a, b))));
        const auto kindOf = [](const exec::TorchGraph& net, const std::string& node) {
            for (const auto& s : net.lastSteps())
                if (std::find(s.nodes.begin(), s.nodes.end(), node) != s.nodes.end()) return s.kind;
            return exec::ExecStep::Kind::PassOn;
        };
        QCOMPARE(kindOf(synced, "conv.bn"), exec::ExecStep::Kind::AcrossRanks);
        QCOMPARE(kindOf(plain, "conv.bn"), exec::ExecStep::Kind::Plain);
        // Inference passes are not distributed: eval mode plans no sum.
        synced.setTraining(false);
        synced.forward(x);
        QVERIFY(kindOf(synced, "conv.bn") != exec::ExecStep::Kind::AcrossRanks);
    }
};

QTEST_GUILESS_MAIN(TestSplitBatch)
#include "tst_split_batch.moc"
