using Nada.Core.Generators;

namespace Nada.Core.Tests.Generators;

/// <summary>The one seed-list parser of the CLI and the web: ranges, lists, and messages that say what is wrong.</summary>
public sealed class SeedRangesTests
{
    [Theory]
    [InlineData("1-20", new[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20 })]
    [InlineData("0-7,12", new[] { 0, 1, 2, 3, 4, 5, 6, 7, 12 })]
    [InlineData(" 3 , 5,9 ", new[] { 3, 5, 9 })]
    [InlineData("4 - 6", new[] { 4, 5, 6 })]
    [InlineData("7-7", new[] { 7 })]
    [InlineData("2147483646-2147483647", new[] { 2147483646, 2147483647 })]
    [InlineData("5,5", new[] { 5, 5 })]
    public void Parses_ListsAndInclusiveRanges(string spec, int[] expected) => Assert.Equal(expected, SeedRanges.Parse(spec));

    [Theory]
    [InlineData("2147483648", "'2147483648' is too large: a seed is at most 2147483647.")]
    [InlineData("1-99999999999999999999", "'99999999999999999999' is too large: a seed is at most 2147483647.")]
    [InlineData("-3", "'-3' is below 0: seeds go from 0 to 2147483647.")]
    [InlineData("5-2", "'5-2' runs backwards: write the smaller seed first (2-5).")]
    [InlineData("cat", "'cat' is not a seed: use whole numbers from 0 to 2147483647 and ranges like 1-20, separated by commas.")]
    [InlineData("1.5", "'1.5' is not a seed: use whole numbers from 0 to 2147483647 and ranges like 1-20, separated by commas.")]
    [InlineData("3-", "'3-' is not a range: write two seeds, e.g. 1-20.")]
    [InlineData(" , ", "Give at least one seed, e.g. 1, 2, 3 or 0-7.")]
    [InlineData("", "Give at least one seed, e.g. 1, 2, 3 or 0-7.")]
    public void Refuses_WithAMessageNamingThePart(string spec, string message) =>
        Assert.Equal(message, Assert.Throws<FormatException>(() => SeedRanges.Parse(spec)).Message);

    [Fact]
    public void Refuses_MoreSeedsThanAllowed_BeforeBuildingTheList()
    {
        var e = Assert.Throws<FormatException>(() => SeedRanges.Parse("0-2147483647", maxCount: 8));
        Assert.Equal("'0-2147483647' makes 2147483648 seeds; at most 8 at once.", e.Message);
        Assert.Equal("'0-7,12' makes 9 seeds; at most 8 at once.", Assert.Throws<FormatException>(() => SeedRanges.Parse("0-7,12", maxCount: 8)).Message);
        Assert.Equal(8, SeedRanges.Parse("0-7", maxCount: 8).Count);
    }

    [Fact]
    public void TheCliParser_IsTheSameParser() =>
        Assert.Equal(SeedRanges.Parse("0-3, 7,9-10"), SeedLatents.Parse("0-3, 7,9-10"));
}
