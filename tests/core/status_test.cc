// Status / Result and the error-propagation macros.
#include "sangam/status.h"

#include <gtest/gtest.h>

#include "sangam/file.h"

namespace sangam {
namespace {

Result<int> Half(int x) {
  if (x % 2) return InvalidArgumentError(StrFormat("%d is odd", x));
  return x / 2;
}

Result<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int h, Half(x));
  ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(StatusTest, PropagatesErrors) {
  EXPECT_EQ(*Quarter(8), 2);
  auto r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "3 is odd");
  EXPECT_EQ(r.status().WithPrefix("ctx").ToString(), "InvalidArgument: ctx: 3 is odd");
}

TEST(FileTest, MissingFileIsNotFound) {
  auto f = MappedFile::Open("/nonexistent/sangam/file");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), StatusCode::kNotFound);
}

TEST(FileTest, AtomicWriteThenMap) {
  std::string path = ::testing::TempDir() + "/sangam_file_test.bin";
  ASSERT_TRUE(WriteFileAtomic(path, "hello").ok());
  auto f = MappedFile::Open(path);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_EQ((*f)->size(), 5u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>((*f)->data()), 5), "hello");
}

}  // namespace
}  // namespace sangam
