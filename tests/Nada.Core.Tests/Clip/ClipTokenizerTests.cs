using Nada.Core.Clip;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Clip;

public class ClipTokenizerTests
{
    private static readonly ClipTokenizer Tok = ClipTokenizer.Shared;

    [Fact]
    public void VocabularyHasClipSize()
    {
        Assert.Equal(49408, Tok.VocabSize);
        Assert.Equal(49406, Tok.StartOfText);
        Assert.Equal(49407, Tok.EndOfText);
    }

    [Fact]
    public void KnownPromptsGiveOpenAiIds()
    {
        // Ids as printed by OpenAI's clip.tokenize in its README-style examples.
        Assert.Equal([320, 2368], Tok.Encode("a cat"));
        Assert.Equal([320, 1929], Tok.Encode("a dog"));
        Assert.Equal([320, 22697], Tok.Encode("a diagram"));
    }

    [Fact]
    public void EmptyStringIsStartEndAndPadding()
    {
        using var scope = NewDisposeScope();
        var t = Tok.Tokenize([""]);
        Assert.Equal(new long[] { 1, 77 }, t.shape);
        var row = t[0].data<long>().ToArray();
        Assert.Equal(49406, row[0]);
        Assert.Equal(49407, row[1]);
        Assert.All(row.Skip(2), v => Assert.Equal(0, v));
        Assert.Empty(Tok.Encode("   \t\n "));
    }

    [Fact]
    public void CaseAndWhitespaceAreNormalised()
    {
        Assert.Equal(Tok.Encode("a photo of a dog"), Tok.Encode("  A   Photo\tof a\n DOG  "));
    }

    [Fact]
    public void HtmlEntitiesAreUnescapedTwice()
    {
        Assert.Equal(Tok.Encode("tom & jerry"), Tok.Encode("tom &amp; jerry"));
        Assert.Equal(Tok.Encode("tom & jerry"), Tok.Encode("tom &amp;amp; jerry"));
        Assert.Equal(Tok.Encode("5 < 6"), Tok.Encode("5 &lt; 6"));
        Assert.Equal(Tok.Encode("café"), Tok.Encode("caf&#233;"));
    }

    [Fact]
    public void UnicodeIsByteEncodedAndRoundTripsThroughNormalisation()
    {
        // Decomposed e + combining acute is NFC-normalised to é.
        Assert.Equal(Tok.Encode("café"), Tok.Encode("cafe\u0301"));
        // Curly quotes and full-width letters follow the implemented ftfy subset.
        Assert.Equal(Tok.Encode("don't"), Tok.Encode("don\u2019t"));
        Assert.Equal(Tok.Encode("abc"), Tok.Encode("\uFF41\uFF42\uFF43"));
        // Emoji and CJK characters do not throw and produce tokens from the byte vocabulary or merges.
        var ids = Tok.Encode("猫 🐱 über");
        Assert.NotEmpty(ids);
        Assert.All(ids, id => Assert.InRange(id, 0, 49405));
    }

    [Fact]
    public void KnownWordsAreSingleTokensAndDigitsSplit()
    {
        // "photo</w>" is one vocabulary entry; digits are matched one by one.
        Assert.Single(Tok.Encode("photo"));
        Assert.Equal(3, Tok.Encode("123").Count);
        Assert.Equal(Tok.Encode("it's"), Tok.Encode("it").Concat(Tok.Encode("'s")).ToList());
    }

    [Fact]
    public void OverLongPromptErrorNamesPromptAndCount()
    {
        var prompt = string.Join(" ", Enumerable.Repeat("zebra", 100));
        var e = Assert.Throws<ArgumentException>(() => Tok.Tokenize([prompt]));
        Assert.Equal(102, Tok.TokenCount(prompt));
        Assert.Contains("102 tokens", e.Message);
        Assert.Contains("zebra zebra", e.Message);
        Assert.Contains("at most 77", e.Message);
        Assert.True(e.Message.Length < 300, "the prompt is shortened in the message");
    }

    [Fact]
    public void TruncationKeepsContextAndEndsWithEndOfText()
    {
        using var scope = NewDisposeScope();
        var prompt = string.Join(" ", Enumerable.Repeat("zebra", 100));
        var row = Tok.Tokenize([prompt], truncate: true)[0].data<long>().ToArray();
        Assert.Equal(77, row.Length);
        Assert.Equal(49406, row[0]);
        Assert.Equal(49407, row[76]);
        Assert.All(row.Skip(1).Take(75), v => Assert.Equal(Tok.Encode("zebra")[0], v));
    }
}
