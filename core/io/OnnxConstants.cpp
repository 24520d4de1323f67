#include "io/OnnxConstants.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "io/DeclaredShape.h"
#include "util/Errors.h"

namespace fp::io {

namespace {

// Elements a tensor may declare: its data must be in the file (protobuf caps a file at 2 GiB), so
// a larger count is a corrupt or hostile shape, refused before anything is allocated.
constexpr int64_t kMaxElements = int64_t{1} << 31;
// Shape arithmetic builds tiny constants; ConstantOfShape has no data in the file to bound it.
constexpr int64_t kMaxFoldedElements = int64_t{1} << 24;

template <typename T>
std::vector<T> rawAs(const std::string& raw, size_t count, const std::string& what) {
    if (raw.size() != count * sizeof(T)) throw ModelFileError(what + " has the wrong amount of data");
    std::vector<T> v(count);
    std::memcpy(v.data(), raw.data(), raw.size());
    return v;
}

OnnxConstant fromInts(std::vector<int64_t> shape, std::vector<int64_t> ints) {
    OnnxConstant c;
    c.shape = std::move(shape);
    c.ints = std::move(ints);
    c.floats.assign(c.ints.begin(), c.ints.end());
    c.isInt = true;
    return c;
}

OnnxConstant withValues(const OnnxConstant& like, std::vector<int64_t> shape, const std::vector<size_t>& pick) {
    OnnxConstant c;
    c.shape = std::move(shape);
    c.isInt = like.isInt;
    for (size_t i : pick) {
        c.floats.push_back(like.floats[i]);
        if (like.isInt) c.ints.push_back(like.ints[i]);
    }
    return c;
}

std::vector<int64_t> strides(const std::vector<int64_t>& shape) {
    std::vector<int64_t> s(shape.size(), 1);
    for (int i = static_cast<int>(shape.size()) - 2; i >= 0; --i) s[i] = s[i + 1] * shape[i + 1];
    return s;
}

std::vector<int64_t> intsAttr(const onnx::NodeProto& n, const char* name) {
    for (const auto& a : n.attribute())
        if (a.name() == name) return {a.ints().begin(), a.ints().end()};
    return {};
}

// Visits every multi-index of `shape`, calling f(flat source index) through `index`.
void forEachIndex(const std::vector<std::vector<int64_t>>& perAxis, const std::vector<int64_t>& srcStrides,
                  std::vector<size_t>& out, size_t axis = 0, int64_t base = 0) {
    if (axis == perAxis.size()) {
        out.push_back(static_cast<size_t>(base));
        return;
    }
    for (int64_t i : perAxis[axis]) forEachIndex(perAxis, srcStrides, out, axis + 1, base + i * srcStrides[axis]);
}

}  // namespace

OnnxConstant readOnnxTensor(const onnx::TensorProto& t, const std::string& file) {
    const std::string what = file + ": tensor '" + t.name() + "'";
    OnnxConstant c;
    c.shape.assign(t.dims().begin(), t.dims().end());
    const int64_t declared = boundedNumel(c.shape, kMaxElements);
    if (declared < 0)
        throw ModelFileError(what + " declares shape " + shapeText(c.shape) + " (" + declaredNumel(c.shape) +
                             "); refusing to allocate");
    const size_t count = static_cast<size_t>(declared);
    if (t.data_location() == onnx::TensorProto::EXTERNAL)
        throw ModelFileError(what + " keeps its data in an external file, which is not supported");
    const std::string& raw = t.raw_data();
    switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
        c.floats = raw.empty() ? std::vector<float>(t.float_data().begin(), t.float_data().end())
                               : rawAs<float>(raw, count, what);
        break;
    case onnx::TensorProto::DOUBLE: {
        auto d = raw.empty() ? std::vector<double>(t.double_data().begin(), t.double_data().end())
                             : rawAs<double>(raw, count, what);
        c.floats.assign(d.begin(), d.end());
        break;
    }
    case onnx::TensorProto::INT64:
        c = fromInts(c.shape, raw.empty() ? std::vector<int64_t>(t.int64_data().begin(), t.int64_data().end())
                                          : rawAs<int64_t>(raw, count, what));
        break;
    case onnx::TensorProto::INT32: {
        auto v = raw.empty() ? std::vector<int32_t>(t.int32_data().begin(), t.int32_data().end())
                             : rawAs<int32_t>(raw, count, what);
        c = fromInts(c.shape, std::vector<int64_t>(v.begin(), v.end()));
        break;
    }
    default:
        throw ModelFileError(what + " has data type " + std::to_string(t.data_type()) +
                             "; only float, double, int32 and int64 are supported");
    }
    if (c.floats.size() != count) throw ModelFileError(what + " has the wrong amount of data");
    return c;
}

std::optional<OnnxConstant> foldOnnxConstant(const onnx::NodeProto& n, const std::vector<const OnnxConstant*>& in,
                                             const std::string& file) {
    if (in.empty() || std::any_of(in.begin(), in.end(), [](const OnnxConstant* c) { return c == nullptr; }))
        return std::nullopt;
    const std::string& op = n.op_type();
    const OnnxConstant& x = *in[0];
    const auto fail = [&](const std::string& why) -> ModelFileError {
        return ModelFileError(file + ": cannot evaluate " + op + " node '" + n.name() + "': " + why);
    };
    std::vector<size_t> all(x.floats.size());
    std::iota(all.begin(), all.end(), size_t{0});

    if (op == "Cast") return x;
    if (op == "ConstantOfShape") {
        float value = 0.f;
        for (const auto& a : n.attribute())
            if (a.name() == "value") {
                const auto v = readOnnxTensor(a.t(), file);
                if (v.floats.empty()) throw fail("its value is empty");
                value = v.floats[0];
            }
        std::vector<int64_t> shape = x.ints;
        const int64_t count = boundedNumel(shape, kMaxFoldedElements);
        if (count < 0)
            throw fail("shape " + shapeText(shape) + " declares " + declaredNumel(shape) +
                       "; refusing to allocate");
        // The value as an integer only where it fits (a float such as 1e30 has no int64 form).
        const int64_t asInt = std::fabs(value) < 9e18f ? static_cast<int64_t>(value) : 0;
        OnnxConstant c = fromInts(shape, std::vector<int64_t>(static_cast<size_t>(count), asInt));
        c.floats.assign(c.ints.size(), value);
        return c;
    }
    if (op == "Concat") {
        OnnxConstant c = x;
        for (size_t i = 1; i < in.size(); ++i) {
            if (in[i]->shape.size() != 1 || x.shape.size() != 1) throw fail("only 1-D constants are supported");
            if (in[i]->isInt != x.isInt) throw fail("joins integer and float constants");
            if (c.floats.size() + in[i]->floats.size() > static_cast<size_t>(kMaxFoldedElements))
                throw fail("the result would have more than 2^24 elements; refusing to allocate");
            c.floats.insert(c.floats.end(), in[i]->floats.begin(), in[i]->floats.end());
            c.ints.insert(c.ints.end(), in[i]->ints.begin(), in[i]->ints.end());
            c.shape[0] += in[i]->shape[0];
        }
        return c;
    }
    if (op == "Reshape") {
        if (in.size() < 2) throw fail("no target shape");
        std::vector<int64_t> shape = in[1]->ints;
        const int64_t size = static_cast<int64_t>(x.floats.size());
        int64_t inferred = -1;
        std::vector<int64_t> known;  // every dimension but the one -1
        for (size_t i = 0; i < shape.size(); ++i) {
            if (shape[i] == 0 && i < x.shape.size()) shape[i] = x.shape[i];
            if (shape[i] == -1 && inferred < 0) inferred = static_cast<int64_t>(i);
            else known.push_back(shape[i]);
        }
        // Counted without overflow; a negative dimension (or a second -1) is refused too.
        const int64_t knownCount = boundedNumel(known, std::max(size, kMaxFoldedElements));
        if (knownCount < 0) throw fail("element counts differ");
        if (inferred >= 0) {
            if (knownCount == 0 ? size != 0 : size % knownCount != 0) throw fail("element counts differ");
            shape[inferred] = knownCount == 0 ? 0 : size / knownCount;
        } else if (knownCount != size) {
            throw fail("element counts differ");
        }
        return withValues(x, shape, all);
    }
    if (op == "Unsqueeze" || op == "Squeeze") {
        std::vector<int64_t> axes = in.size() > 1 ? in[1]->ints : intsAttr(n, "axes");
        std::vector<int64_t> shape = x.shape;
        if (op == "Squeeze") {
            std::vector<int64_t> kept;
            for (size_t i = 0; i < shape.size(); ++i) {
                const bool listed = axes.empty() ? shape[i] == 1
                                                 : std::count(axes.begin(), axes.end(), static_cast<int64_t>(i)) ||
                                                       std::count(axes.begin(), axes.end(),
                                                                  static_cast<int64_t>(i) - static_cast<int64_t>(shape.size()));
                if (!listed) kept.push_back(shape[i]);
                else if (shape[i] != 1) throw fail("dimension " + std::to_string(i) + " has size " +
                                                   std::to_string(shape[i]) + ", it cannot be squeezed");
            }
            shape = kept;
        } else {
            const int64_t rank = static_cast<int64_t>(shape.size() + axes.size());
            for (auto& a : axes) {
                a = a < 0 ? a + rank : a;
                if (a < 0 || a >= rank) throw fail("axis out of range");
            }
            std::sort(axes.begin(), axes.end());
            // Distinct sorted axes in [0, rank) each insert at or before the end.
            if (std::adjacent_find(axes.begin(), axes.end()) != axes.end()) throw fail("an axis is repeated");
            for (int64_t a : axes) shape.insert(shape.begin() + a, 1);
        }
        return withValues(x, shape, all);
    }
    if (op == "Transpose") {
        std::vector<int64_t> perm = intsAttr(n, "perm");
        if (perm.empty())
            for (int64_t i = static_cast<int64_t>(x.shape.size()) - 1; i >= 0; --i) perm.push_back(i);
        std::vector<int64_t> sorted = perm;
        std::sort(sorted.begin(), sorted.end());
        for (size_t i = 0; i < sorted.size(); ++i)
            if (sorted.size() != x.shape.size() || sorted[i] != static_cast<int64_t>(i))
                throw fail("perm is not a permutation of the " + std::to_string(x.shape.size()) + " axes");
        const auto src = strides(x.shape);
        std::vector<int64_t> shape;
        std::vector<std::vector<int64_t>> axes;
        std::vector<int64_t> axisStrides;
        for (int64_t p : perm) {
            shape.push_back(x.shape[p]);
            std::vector<int64_t> idx(static_cast<size_t>(x.shape[p]));
            std::iota(idx.begin(), idx.end(), 0);
            axes.push_back(idx);
            axisStrides.push_back(src[p]);
        }
        std::vector<size_t> pick;
        forEachIndex(axes, axisStrides, pick);
        return withValues(x, shape, pick);
    }
    if (op == "Slice") {
        if (in.size() < 3) throw fail("needs starts and ends as inputs (opset 10+)");
        const auto& starts = in[1]->ints;
        const auto& ends = in[2]->ints;
        std::vector<int64_t> axes = in.size() > 3 ? in[3]->ints : std::vector<int64_t>{};
        std::vector<int64_t> steps = in.size() > 4 ? in[4]->ints : std::vector<int64_t>{};
        if (axes.empty())
            for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
        if (steps.empty()) steps.assign(starts.size(), 1);
        if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
            throw fail("starts, ends, axes and steps differ in length");
        std::vector<std::vector<int64_t>> perAxis;
        for (int64_t d : x.shape) {
            std::vector<int64_t> idx(static_cast<size_t>(d));
            std::iota(idx.begin(), idx.end(), 0);
            perAxis.push_back(idx);
        }
        for (size_t k = 0; k < axes.size(); ++k) {
            const int64_t axis = axes[k] < 0 ? axes[k] + static_cast<int64_t>(x.shape.size()) : axes[k];
            if (axis < 0 || axis >= static_cast<int64_t>(x.shape.size())) throw fail("axis out of range");
            const int64_t dim = x.shape[axis];
            if (steps[k] == 0) throw fail("step 0");
            // A step past the end takes one element, as one of dim + 1 does; clamped, i += step cannot overflow.
            const int64_t step = std::clamp<int64_t>(steps[k], -dim - 1, dim + 1);
            // ONNX clamps to [0, dim] going forward and to [-1, dim - 1] going backward.
            auto clampIndex = [&](int64_t v) {
                if (v < 0) v += dim;
                return step > 0 ? std::clamp<int64_t>(v, 0, dim) : std::clamp<int64_t>(v, -1, dim - 1);
            };
            const int64_t s = clampIndex(starts[k]);
            const int64_t e = ends[k] < -dim ? (step > 0 ? 0 : -1) : clampIndex(ends[k]);
            std::vector<int64_t> idx;
            for (int64_t i = s; step > 0 ? i < e : i > e; i += step) idx.push_back(i);
            perAxis[axis] = idx;
        }
        std::vector<int64_t> shape;
        for (const auto& a : perAxis) shape.push_back(static_cast<int64_t>(a.size()));
        std::vector<size_t> pick;
        forEachIndex(perAxis, strides(x.shape), pick);
        return withValues(x, shape, pick);
    }
    if (op == "Gather") {
        int64_t axis = 0;
        for (const auto& a : n.attribute())
            if (a.name() == "axis") axis = a.i();
        if (axis != 0 || x.shape.size() != 1) throw fail("only gathering from a 1-D constant is supported");
        if (in.size() < 2 || !in[1]->isInt) throw fail("needs integer indices");
        std::vector<size_t> pick;
        for (int64_t i : in[1]->ints) {
            const int64_t at = i < 0 ? i + x.shape[0] : i;
            if (at < 0 || at >= x.shape[0]) throw fail("index " + std::to_string(i) + " is out of range");
            pick.push_back(static_cast<size_t>(at));
        }
        return withValues(x, in[1]->shape, pick);
    }
    return std::nullopt;
}

}  // namespace fp::io
