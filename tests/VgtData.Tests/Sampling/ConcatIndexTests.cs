using VgtData.Sampling;

namespace VgtData.Tests.Sampling;

public class ConcatIndexTests
{
    [Fact]
    public void CumulativeSizesAreRunningTotals()
    {
        Assert.Equal(new long[] { 3, 3, 8, 10 }, ConcatIndex.CumulativeSizes([3, 0, 5, 2]));
        Assert.Empty(ConcatIndex.CumulativeSizes([]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ConcatIndex.CumulativeSizes([1, -1]));
    }

    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(2, 0, 2)]
    [InlineData(3, 2, 0)] // dataset 1 is empty and skipped
    [InlineData(7, 2, 4)]
    [InlineData(8, 3, 0)]
    [InlineData(9, 3, 1)]
    [InlineData(-1, 3, 1)]
    [InlineData(-2, 3, 0)]
    [InlineData(-3, 2, 4)]
    [InlineData(-10, 0, 0)]
    public void LocateAtBoundariesAndFromTheEnd(long index, int dataset, int local)
    {
        var cumulative = ConcatIndex.CumulativeSizes([3, 0, 5, 2]);
        Assert.Equal((dataset, local), ConcatIndex.Locate(cumulative, index));
    }

    [Theory]
    [InlineData(10)]
    [InlineData(11)]
    [InlineData(-11)]
    public void OutOfRangeNamesIndexAndLength(long index)
    {
        var cumulative = ConcatIndex.CumulativeSizes([3, 0, 5, 2]);
        var e = Assert.Throws<IndexOutOfRangeException>(() => ConcatIndex.Locate(cumulative, index));
        Assert.Contains(index.ToString(), e.Message);
        Assert.Contains("length 10", e.Message);
    }

    [Fact]
    public void EmptyConcatenationHasNoIndices()
    {
        Assert.Throws<IndexOutOfRangeException>(() => ConcatIndex.Locate([], 0));
        Assert.Throws<IndexOutOfRangeException>(() => ConcatIndex.Locate(ConcatIndex.CumulativeSizes([0, 0]), -1));
    }
}
