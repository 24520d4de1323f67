#pragma once
// Values an ONNX file fixes at export time (initializers, Constant nodes) and
// the small integer arithmetic exporters emit around them (PyTorch computes
// Pad's pads with ConstantOfShape/Reshape/Slice/Transpose/Cast): folded here
// so that the importer sees plain constants.
#include <optional>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "graph/Tensor.h"

namespace fp::io {

struct OnnxConstant {
    std::vector<int64_t> shape;
    std::vector<float> floats;  // always filled
    std::vector<int64_t> ints;  // filled for integer tensors
    bool isInt = false;
    Tensor tensor() const { return Tensor(shape, floats); }
};

// Throws fp::ModelFileError (prefixed with `file`) for unsupported or inconsistent data.
OnnxConstant readOnnxTensor(const onnx::TensorProto& t, const std::string& file);

// Evaluates `node` when every input is a constant and the op is one of the
// shape-arithmetic ops; nullopt otherwise.
std::optional<OnnxConstant> foldOnnxConstant(const onnx::NodeProto& node,
                                             const std::vector<const OnnxConstant*>& inputs,
                                             const std::string& file);

}  // namespace fp::io
