using System.Globalization;

namespace Nada.Core.Generators;

/// <summary>
/// Seed lists as people type them, the one parser of the CLI (<c>nada sample --seeds</c>) and the web: whole numbers
/// and inclusive ranges separated by commas, "1-20", "0-7,12", "3, 5, 9". Seeds go from 0 to <see cref="int.MaxValue"/>.
/// </summary>
public static class SeedRanges
{
    /// <summary>Seeds one list may hold unless the caller says otherwise.</summary>
    public const int DefaultMaxCount = 100_000;

    /// <summary>
    /// The seeds of <paramref name="spec"/> in the order written (duplicates kept). Throws <see cref="FormatException"/>
    /// with a message naming the part at fault and what to write instead; more than <paramref name="maxCount"/> seeds
    /// in all is refused before any list is built.
    /// </summary>
    public static IReadOnlyList<int> Parse(string? spec, int maxCount = DefaultMaxCount)
    {
        var parts = (spec ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new FormatException("Give at least one seed, e.g. 1, 2, 3 or 0-7.");
        var ranges = new List<(int From, int To)>();
        long count = 0;
        foreach (var part in parts)
        {
            var dash = part.IndexOf('-', 1);   // a leading '-' is a minus sign, not a range
            var range = dash > 0
                ? (From: Seed(part[..dash].Trim(), part), To: Seed(part[(dash + 1)..].Trim(), part))
                : (From: Seed(part, part), To: Seed(part, part));
            if (range.To < range.From)
                throw new FormatException($"'{part}' runs backwards: write the smaller seed first ({range.To}-{range.From}).");
            count += (long)range.To - range.From + 1;
            if (count > maxCount)
                throw new FormatException($"'{spec!.Trim()}' makes {Count(parts)} seeds; at most {maxCount} at once.");
            ranges.Add(range);
        }
        var seeds = new List<int>((int)count);
        foreach (var (from, to) in ranges)
            for (long s = from; s <= to; s++) seeds.Add((int)s);
        return seeds;
    }

    /// <summary>One seed: a whole number from 0 to int.MaxValue, or a message naming <paramref name="part"/>.</summary>
    private static int Seed(string text, string part)
    {
        if (text.Length == 0) throw new FormatException($"'{part}' is not a range: write two seeds, e.g. 1-20.");
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
        {
            if (text.TrimStart('+', '-').All(char.IsAsciiDigit) && text.TrimStart('+', '-').Length > 0)
                throw new FormatException(text.StartsWith('-')
                    ? $"'{text}' is below 0: seeds go from 0 to {int.MaxValue}."
                    : $"'{text}' is too large: a seed is at most {int.MaxValue}.");
            throw new FormatException($"'{part}' is not a seed: use whole numbers from 0 to {int.MaxValue} and ranges like 1-20, separated by commas.");
        }
        if (n < 0) throw new FormatException($"'{text}' is below 0: seeds go from 0 to {int.MaxValue}.");
        if (n > int.MaxValue) throw new FormatException($"'{text}' is too large: a seed is at most {int.MaxValue}.");
        return (int)n;
    }

    /// <summary>The whole count of seeds (for the message), without building the list; saturates at long.MaxValue.</summary>
    private static long Count(string[] parts)
    {
        long total = 0;
        foreach (var part in parts)
        {
            var dash = part.IndexOf('-', 1);
            if (dash > 0 && long.TryParse(part[..dash].Trim(), out var a) && long.TryParse(part[(dash + 1)..].Trim(), out var b)) total += Math.Max(0, b - a + 1);
            else total += 1;
        }
        return total;
    }
}
