// NpyDataset: numeric vectors in NumPy's .npy format, byte for byte as numpy writes them, and the
// files numpy may give it (other dtypes, shapes, orders; truncated or foreign files).
// tests/interchange/ checks the same files with numpy itself.

#include <cstdint>
#include <cstring>
#include <limits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/datasets/npy_dataset.hpp>
#include <sluice/core/util/files.hpp>

#include "support/temp_dir.hpp"

namespace sluice {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::TempDir;
using ::testing::ThrowsMessage;

// A .npy file of version 1.0 with `header` (padded as numpy pads it) and `data`.
std::string npy(const std::string& header, const std::string& data) {
  std::string text = header;
  text.append((64 - (10 + text.size() + 1) % 64) % 64, ' ');
  text += '\n';
  std::string bytes = "\x93NUMPY";
  bytes += '\x01';
  bytes += '\x00';
  bytes += static_cast<char>(text.size() & 0xFFU);
  bytes += static_cast<char>(text.size() >> 8U);
  return bytes + text + data;
}

template <class T>
std::string raw(const std::vector<T>& values) {
  std::string bytes(values.size() * sizeof(T), '\0');
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

TEST(NpyDataset, WritesWhatNumpyWritesAndReadsItBack) {
  TempDir dir;
  NpyDataset doubles(dir / "x.npy");
  const std::vector<double> values{1.5, -2.0, std::numeric_limits<double>::infinity(), 0.0};
  doubles.save(Value::of(values));
  // numpy.save(np.array([1.5, -2.0, inf, 0.0])): the same 128 bytes.
  const std::string expected =
      npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", raw(values));
  EXPECT_EQ(read_file(dir / "x.npy"), expected);
  EXPECT_EQ(read_file(dir / "x.npy").size() % 64, 32U);  // header to 64, then 4 doubles
  const Value loaded = doubles.load();
  EXPECT_EQ(loaded.get<std::vector<double>>(), values);

  NpyDataset integers(dir / "n.npy");
  const std::vector<std::int64_t> numbers{std::numeric_limits<std::int64_t>::min(), 0, 42};
  integers.save(Value::of(numbers));
  const Value back = integers.load();
  EXPECT_EQ(back.get<std::vector<std::int64_t>>(), numbers);
  NpyDataset empty(dir / "e.npy");
  empty.save(Value::of(std::vector<double>{}));
  const Value none = empty.load();
  EXPECT_TRUE(none.get<std::vector<double>>().empty());
}

TEST(NpyDataset, WidensSmallerDtypesNumpyMayWrite) {
  TempDir dir;
  dir.write("f4.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }",
                          raw(std::vector<float>{0.5F, 2.0F})));
  const Value floats = NpyDataset(dir / "f4.npy").load();
  EXPECT_EQ(floats.get<std::vector<double>>(), (std::vector<double>{0.5, 2.0}));
  dir.write("i4.npy", npy("{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }",
                          raw(std::vector<std::int32_t>{-1, 7, 2147483647})));
  const Value ints = NpyDataset(dir / "i4.npy").load();
  EXPECT_EQ(ints.get<std::vector<std::int64_t>>(), (std::vector<std::int64_t>{-1, 7, 2147483647}));
  dir.write("b1.npy", npy("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }",
                          std::string("\x01\x00", 2)));
  const Value flags = NpyDataset(dir / "b1.npy").load();
  EXPECT_EQ(flags.get<std::vector<std::int64_t>>(), (std::vector<std::int64_t>{1, 0}));
}

TEST(NpyDataset, WhatItCannotReadIsAnErrorSayingWhatTheFileHolds) {
  TempDir dir;
  auto error_of = [&](const std::string& bytes) -> std::string {
    dir.write("bad.npy", bytes);
    try {
      NpyDataset(dir / "bad.npy").load();
    } catch (const DatasetError& error) {
      return error.what();
    }
    return "no error";
  };
  EXPECT_THAT(error_of("a,b\n1,2\n"), HasSubstr("is not a NumPy .npy file"));
  EXPECT_THAT(error_of(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }",
                           std::string(48, '\0'))),
              HasSubstr("holds an array of shape (2, 3); NpyDataset reads one dimension, (N,)"));
  EXPECT_THAT(error_of(npy("{'descr': '<f8', 'fortran_order': True, 'shape': (2,), }",
                           std::string(16, '\0'))),
              HasSubstr("Fortran-order"));
  EXPECT_THAT(error_of(npy("{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }",
                           std::string(8, '\0'))),
              HasSubstr("holds dtype '>f8'; NpyDataset reads <f8 and <i8"));
  EXPECT_THAT(error_of(npy("{'descr': '<U5', 'fortran_order': False, 'shape': (1,), }",
                           std::string(20, '\0'))),
              HasSubstr("holds dtype '<U5'"));
  EXPECT_THAT(error_of(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1000,), }",
                           std::string(16, '\0'))),
              HasSubstr("is truncated: its header says 1000 values of 8 bytes, the file holds "
                        "16 bytes of data"));
  EXPECT_THAT(error_of(std::string("\x93NUMPY\x01\x00\xff\x7f", 10)),
              HasSubstr("is truncated in its header"));
  EXPECT_THAT([&] { NpyDataset(dir / "t.npy").save(Value::of(std::string("text"))); },
              ThrowsMessage<DatasetError>(HasSubstr(
                  "saves a std::vector<double> or std::vector<std::int64_t>, not std::string")));
}

}  // namespace
}  // namespace sluice
