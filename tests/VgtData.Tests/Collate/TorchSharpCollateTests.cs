using VgtData.Collate;
using static TorchSharp.torch;

namespace VgtData.Tests.Collate;

public class TorchSharpCollateTests
{
    private static Dictionary<string, Tensor> Item(long[] ids, float pixel) => new()
    {
        ["input_ids"] = tensor(ids),
        ["pixel_values"] = full(new long[] { 3, 2, 2 }, pixel),
    };

    [Fact]
    public void PadsRightWithPadIndexMasksAndStacks()
    {
        var items = new[] { Item([5, 6, 7], 0.5f), Item([8], -1f), Item([9, 10], 1f) };
        var batch = TorchSharpCollate.Create(padIndex: 42)(items, CPU);
        Assert.Equal(["attention_mask", "input_ids", "pixel_values"], batch.Keys.Order());
        Assert.Equal(new long[] { 3, 3 }, batch["input_ids"].shape);
        Assert.Equal(new long[] { 5, 6, 7, 8, 42, 42, 9, 10, 42 }, batch["input_ids"].data<long>().ToArray());
        Assert.Equal(ScalarType.Bool, batch["attention_mask"].dtype);
        Assert.Equal(new[] { true, true, true, true, false, false, true, true, false }, batch["attention_mask"].data<bool>().ToArray());
        Assert.Equal(new long[] { 3, 3, 2, 2 }, batch["pixel_values"].shape);
        Assert.Equal(Enumerable.Repeat(0.5f, 12).Concat(Enumerable.Repeat(-1f, 12)).Concat(Enumerable.Repeat(1f, 12)),
            batch["pixel_values"].data<float>().ToArray());
        // The items are left to their owner, untouched.
        Assert.Equal(new long[] { 8 }, items[1]["input_ids"].data<long>().ToArray());
    }

    [Fact]
    public void LeftPaddingForTheImg2ImgCollate()
    {
        var batch = TorchSharpCollate.Collate([Item([1, 2], 0f), Item([3], 0f)], padIndex: 0, padLeft: true);
        Assert.Equal(new long[] { 1, 2, 0, 3 }, batch["input_ids"].data<long>().ToArray());
        Assert.Equal(new[] { true, true, false, true }, batch["attention_mask"].data<bool>().ToArray());
    }

    [Fact]
    public void LatentsAndTokensAreStackedToo()
    {
        var a = new Dictionary<string, Tensor> { ["input_ids"] = tensor(new long[] { 1 }), ["image_latents"] = ones(4, 2), ["image_tokens"] = tensor(new long[] { 7, 8 }) };
        var b = new Dictionary<string, Tensor> { ["input_ids"] = tensor(new long[] { 2, 3 }), ["image_latents"] = zeros(4, 2), ["image_tokens"] = tensor(new long[] { 9, 9 }) };
        var batch = TorchSharpCollate.Collate([a, b], padIndex: 0);
        Assert.Equal(new long[] { 2, 4, 2 }, batch["image_latents"].shape);
        Assert.Equal(new long[] { 7, 8, 9, 9 }, batch["image_tokens"].data<long>().ToArray());
    }

    [Fact]
    public void MismatchedItemsAreRefusedWithTheReason()
    {
        var e = Assert.Throws<VgtDataException>(() => TorchSharpCollate.Collate([Item([1], 0f), new() { ["input_ids"] = tensor(new long[] { 1 }) }], 0));
        Assert.Equal("collate: item 1 has keys [input_ids], item 0 has [input_ids, pixel_values]", e.Message);
        var wide = new Dictionary<string, Tensor> { ["input_ids"] = tensor(new long[] { 1 }), ["pixel_values"] = zeros(3, 2, 4) };
        e = Assert.Throws<VgtDataException>(() => TorchSharpCollate.Collate([Item([1], 0f), wide], 0));
        Assert.Equal("collate: \"pixel_values\" of item 1 is [3, 2, 4], item 0's is [3, 2, 2]", e.Message);
        e = Assert.Throws<VgtDataException>(() => TorchSharpCollate.Collate([new() { ["pixel_values"] = zeros(3) }], 0));
        Assert.Equal("collate: item 0 has no \"input_ids\"", e.Message);
        Assert.Throws<VgtDataException>(() => TorchSharpCollate.Collate([], 0));
    }

    [Fact]
    public void TheDeviceArgumentWinsOverTheLoaders()
    {
        // Only the CPU is certain here; the chosen device is where every output lives.
        var batch = TorchSharpCollate.Create(0, device: CPU)([Item([1], 0f)], CPU);
        Assert.All(batch.Values, t => Assert.Equal(TorchSharp.DeviceType.CPU, t.device_type));
        if (TorchSharp.torch.cuda.is_available())
        {
            var onGpu = TorchSharpCollate.Create(0, device: CUDA)([Item([1, 2], 0f)], CPU);
            Assert.All(onGpu.Values, t => Assert.Equal(TorchSharp.DeviceType.CUDA, t.device_type));
        }
    }
}
