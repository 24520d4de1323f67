#include "train/RankShare.h"

#include "dist/Group.h"

namespace fp::train {

RankShare shareOf(dist::Group& group, int64_t rows, int64_t labelled) {
    const auto ranks = static_cast<size_t>(group.worldSize());
    const auto me = static_cast<size_t>(group.rank());
    std::vector<double> counts(2 * ranks, 0.0);
    counts[me] = static_cast<double>(rows);
    counts[ranks + me] = static_cast<double>(labelled);
    group.allReduceSum(counts);
    RankShare share;
    share.rows = rows;
    share.labelled = labelled;
    for (size_t r = 0; r < ranks; ++r) {
        const auto n = static_cast<int64_t>(counts[r]);
        if (r < me) share.first += n;
        share.total += n;
        share.labelledTotal += static_cast<int64_t>(counts[ranks + r]);
    }
    return share;
}

torch::Tensor gatherRows(dist::Group& group, const torch::Tensor& mine, const RankShare& share) {
    const int64_t width = mine.size(1);
    // Each rank writes its rows into zeros at its place; the sum is every rank's rows, exactly.
    std::vector<float> all(static_cast<size_t>(share.total * width), 0.0f);
    const torch::Tensor rows = mine.detach().to(torch::kFloat).contiguous();
    std::copy(rows.data_ptr<float>(), rows.data_ptr<float>() + rows.numel(), all.begin() + share.first * width);
    group.allReduceSum(all);
    return torch::from_blob(all.data(), {share.total, width}, torch::kFloat).clone().to(mine.scalar_type());
}

void sumGradients(dist::Group& group, const std::vector<torch::Tensor>& tensors) {
    constexpr int64_t kBucket = int64_t{1} << 22;
    torch::NoGradGuard noGrad;
    for (size_t first = 0; first < tensors.size();) {
        size_t last = first;
        int64_t size = 0;
        while (last < tensors.size() && (last == first || size + tensors[last].numel() <= kBucket))
            size += tensors[last++].numel();
        std::vector<float> bucket;
        bucket.reserve(static_cast<size_t>(size));
        for (size_t i = first; i < last; ++i) {
            const auto& g = tensors[i].grad();
            const auto flat = g.defined() ? g.contiguous().view(-1).to(torch::kFloat) : torch::zeros({tensors[i].numel()});
            bucket.insert(bucket.end(), flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel());
        }
        group.allReduceSum(bucket);
        int64_t offset = 0;
        for (size_t i = first; i < last; ++i) {
            torch::Tensor t = tensors[i];
            const auto summed = torch::from_blob(bucket.data() + offset, t.sizes(), torch::kFloat).clone();
            if (t.grad().defined())
                t.mutable_grad().copy_(summed);
            else
                t.mutable_grad() = summed.contiguous(t.suggest_memory_format());
            offset += t.numel();
        }
        first = last;
    }
}

void sumInPass(dist::Group& group, torch::Tensor& values) {
    const torch::Tensor flat = values.to(torch::kDouble).contiguous();
    std::vector<double> sums(flat.data_ptr<double>(), flat.data_ptr<double>() + flat.numel());
    group.sumInPass(sums);
    values.copy_(torch::from_blob(sums.data(), values.sizes(), torch::kDouble));
}

}  // namespace fp::train
