#include "fuse/tensor/tensor.h"

#include <cstdint>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

namespace fuse {
namespace {

TEST(Tensor, EmptyAndZerosHaveShapeDtypeAndAlignment) {
  Tensor t = Tensor::zeros({2, 3}, sdk::kFloat32);
  EXPECT_EQ(t.ndim(), 2);
  EXPECT_EQ(t.shape(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(t.numel(), 6);
  EXPECT_EQ(t.nbytes(), 24u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw_data()) % 64, 0u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(t.data<float>()[i], 0.0f);
  EXPECT_EQ(t.description(), "float32[2, 3]");
  EXPECT_EQ(Tensor::scalar<int64_t>(7).ndim(), 0);
  EXPECT_EQ(Tensor::scalar<int64_t>(7).data<int64_t>()[0], 7);
}

TEST(Tensor, BadShapesAndDtypesAreErrors) {
  EXPECT_THROW(Tensor::empty({2, -1}, sdk::kFloat32), Error);
  Tensor t = Tensor::from_vector<float>({1, 2, 3}, {3});
  try {
    t.data<double>();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::kType);
    EXPECT_STREQ(e.what(), "tensor float32[3] accessed as float64");
  }
  try {
    Tensor::from_vector<float>({1, 2, 3}, {2, 2});
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "Tensor::from_vector: 3 values do not fill shape [2, 2]");
  }
  EXPECT_THROW(Tensor().dl(), Error);
}

TEST(Tensor, CopiesShareTheBufferAndWritesCopyFirst) {
  Tensor a = Tensor::from_vector<int32_t>({1, 2, 3, 4}, {4});
  const void* original = a.raw_data();
  Tensor b = a;
  EXPECT_TRUE(a.shares_buffer_with(b));
  EXPECT_FALSE(b.is_unique());
  b.mutable_data<int32_t>()[0] = 100;  // copy on write
  EXPECT_FALSE(a.shares_buffer_with(b));
  EXPECT_EQ(a.data<int32_t>()[0], 1);
  EXPECT_EQ(b.data<int32_t>()[0], 100);
  EXPECT_EQ(a.raw_data(), original);
  // a is alone now: it writes in place.
  EXPECT_TRUE(a.is_unique());
  a.mutable_data<int32_t>()[1] = 20;
  EXPECT_EQ(a.raw_data(), original);
  EXPECT_EQ(a.data<int32_t>()[1], 20);
}

TEST(Tensor, DlpackRoundTripKeepsIdentityWithoutCopy) {
  Tensor a = Tensor::from_vector<double>({1.5, 2.5}, {2});
  DLManagedTensor* m = a.to_dlpack();
  EXPECT_EQ(m->dl_tensor.data, a.raw_data());
  EXPECT_EQ(m->dl_tensor.shape[0], 2);
  Tensor b = Tensor::from_dlpack(m);
  EXPECT_TRUE(b.shares_buffer_with(a));
  EXPECT_EQ(b.data<double>()[1], 2.5);
}

TEST(Tensor, ExportedViewOutlivesTheTensorAndFreesOnce) {
  DLManagedTensor* m = nullptr;
  {
    Tensor a = Tensor::from_vector<int64_t>({5, 6, 7}, {3});
    m = a.to_dlpack();
  }
  EXPECT_EQ(static_cast<int64_t*>(m->dl_tensor.data)[2], 7);
  m->deleter(m);
}

struct Foreign {
  std::vector<float> values{1, 2, 3, 4, 5, 6};
  int64_t shape[2] = {2, 3};
  int64_t strides[2] = {1, 2};  // column-major: not contiguous
  DLManagedTensor managed{};
  int* deleted = nullptr;
};

DLManagedTensor* make_foreign(int* deleted, bool column_major) {
  auto* f = new Foreign;
  f->deleted = deleted;
  f->managed.dl_tensor = DLTensor{f->values.data(), {kDLCPU, 0}, 2, sdk::kFloat32, f->shape,
                                  column_major ? f->strides : nullptr, 0};
  f->managed.manager_ctx = f;
  f->managed.deleter = [](DLManagedTensor* m) {
    auto* self = static_cast<Foreign*>(m->manager_ctx);
    ++*self->deleted;
    delete self;
  };
  return &f->managed;
}

TEST(Tensor, ForeignDlpackIsAdoptedWithoutCopyAndDeletedOnce) {
  int deleted = 0;
  auto keep_alive = std::make_shared<int>(42);
  std::weak_ptr<int> watch = keep_alive;
  {
    DLManagedTensor* m = make_foreign(&deleted, false);
    Tensor t = Tensor::from_dlpack(m, std::move(keep_alive));
    EXPECT_EQ(t.raw_data(), m->dl_tensor.data);
    Tensor copy = t;
    EXPECT_FALSE(watch.expired());
    EXPECT_EQ(deleted, 0);
  }
  EXPECT_EQ(deleted, 1);
  EXPECT_TRUE(watch.expired());
}

TEST(Tensor, ForeignBufferIsCopiedBeforeTheFirstWrite) {
  int deleted = 0;
  Tensor t = Tensor::from_dlpack(make_foreign(&deleted, false));
  const void* foreign = t.raw_data();
  EXPECT_FALSE(t.is_unique());
  t.mutable_data<float>()[0] = 42;
  EXPECT_NE(t.raw_data(), foreign);
  EXPECT_EQ(deleted, 1);  // the copy replaced the only reference to the foreign buffer
  EXPECT_TRUE(t.is_unique());
  EXPECT_EQ(t.data<float>()[0], 42.0f);
  EXPECT_EQ(t.data<float>()[1], 2.0f);
}

TEST(Tensor, StridedForeignTensorClonesInRowMajorOrder) {
  int deleted = 0;
  Tensor t = Tensor::from_dlpack(make_foreign(&deleted, true));
  EXPECT_FALSE(t.is_contiguous());
  EXPECT_THROW(t.raw_data(), Error);
  Tensor c = t.clone();
  ASSERT_TRUE(c.is_contiguous());
  // Element (i, j) sits at i + 2j in the column-major source.
  EXPECT_EQ(std::vector<float>(c.data<float>(), c.data<float>() + 6), (std::vector<float>{1, 3, 5, 2, 4, 6}));
}

TEST(Tensor, ReadOnlyBufferIsCopiedBeforeWrite) {
  auto owner = std::make_shared<std::vector<int16_t>>(std::vector<int16_t>{1, 2, 3});
  Tensor t = Tensor::from_buffer(owner->data(), {3}, sdk::kInt16, owner, /*writable=*/false);
  EXPECT_FALSE(t.is_unique());
  t.mutable_data<int16_t>()[0] = 9;
  EXPECT_EQ((*owner)[0], 1);
  EXPECT_EQ(t.data<int16_t>()[0], 9);
}

TEST(Tensor, ReshapeIsAViewAndChecksCounts) {
  Tensor a = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor b = a.reshape({3, 2});
  EXPECT_TRUE(b.shares_buffer_with(a));
  EXPECT_EQ(b.shape(), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(a.shape(), (std::vector<int64_t>{2, 3}));
  try {
    a.reshape({4});
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "cannot reshape float32[2, 3] to [4]: the element counts differ");
  }
}

}  // namespace
}  // namespace fuse
