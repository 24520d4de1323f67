#pragma once
// Whole numbers read from FacePrune's JSON files (.fpm header, run.json, the gallery, ONNX
// metadata). nlohmann::json converts a float to an integer type with a plain cast, which is
// undefined behaviour when the value does not fit (a corrupt "stride": 1e300); these refuse such a
// value instead, throwing nlohmann's own exception types so that each reader's existing handler
// names the file. A float that fits is truncated, as nlohmann::json would.
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace fp::io {

template <typename T>
T jsonInt(const nlohmann::json& j) {
    using json = nlohmann::json;
    bool fits = false;
    if (j.is_number_unsigned()) {
        fits = std::in_range<T>(j.get<uint64_t>());
    } else if (j.is_number_integer()) {
        fits = std::in_range<T>(j.get<int64_t>());
    } else if (j.is_number_float()) {
        const double v = j.get<double>();
        // [min, 2^digits): both bounds are exact in double, so no cast below can overflow.
        fits = v >= static_cast<double>(std::numeric_limits<T>::min()) &&
               v < std::ldexp(1.0, std::numeric_limits<T>::digits);
        if (fits) return static_cast<T>(v);
    } else {
        throw json::type_error::create(302, std::string("expected a whole number, found ") + j.type_name(), &j);
    }
    if (!fits) throw json::out_of_range::create(406, "the number " + j.dump() + " is out of range here", &j);
    return j.get<T>();
}

// The same, for j.at(key), or `fallback` when the object has no such key.
template <typename T>
T jsonInt(const nlohmann::json& j, const std::string& key, T fallback) {
    return j.contains(key) ? jsonInt<T>(j.at(key)) : fallback;
}

template <typename T>
std::vector<T> jsonInts(const nlohmann::json& j) {
    if (!j.is_array())
        throw nlohmann::json::type_error::create(302, std::string("expected a list of whole numbers, found ") +
                                                          j.type_name(), &j);
    std::vector<T> out;
    out.reserve(j.size());
    for (const auto& v : j) out.push_back(jsonInt<T>(v));
    return out;
}

// {"name": whole number, ...}
template <typename T>
std::map<std::string, T> jsonIntMap(const nlohmann::json& j) {
    if (!j.is_object())
        throw nlohmann::json::type_error::create(302, std::string("expected an object of whole numbers, found ") +
                                                          j.type_name(), &j);
    std::map<std::string, T> out;
    for (const auto& [key, v] : j.items()) out.emplace(key, jsonInt<T>(v));
    return out;
}

}  // namespace fp::io
