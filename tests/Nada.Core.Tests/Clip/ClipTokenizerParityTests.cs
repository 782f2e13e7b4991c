using Nada.Core.Clip;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Clip;

public class ClipTokenizerParityTests
{
    [Fact]
    public void TokensMatchOpenAiTokenizerExactly()
    {
        using var scope = NewDisposeScope();
        using var expected = new ExpectedTensors(ClipParityFiles.File("clip_expected.safetensors"));
        var prompts = expected.Meta<string[]>("prompts");
        var want = expected["tokens"];                                             // [P, ctx]
        var tokens = ClipTokenizer.Shared.Tokenize(prompts, truncate: true, contextLength: (int)want.shape[1]);
        Assert.Equal(want.shape, tokens.shape);
        for (var i = 0; i < prompts.Length; i++)
        {
            var a = tokens[i].data<long>().ToArray();
            var b = want[i].to(ScalarType.Int64).data<long>().ToArray();
            Assert.True(a.SequenceEqual(b), $"prompt {i} \"{prompts[i]}\": got [{string.Join(",", a)}], want [{string.Join(",", b)}]");
        }
    }

    [Fact]
    public void OverLongParityPromptThrowsWithoutTruncation()
    {
        using var expected = new ExpectedTensors(ClipParityFiles.File("clip_expected.safetensors"));
        var prompts = expected.Meta<string[]>("prompts");
        var ctx = (int)expected["tokens"].shape[1];
        var tooLong = prompts.Where(p => ClipTokenizer.Shared.Encode(p).Count + 2 > ctx).ToArray();
        Assert.NotEmpty(tooLong);
        var e = Assert.Throws<ArgumentException>(() => ClipTokenizer.Shared.Tokenize(tooLong, truncate: false, contextLength: ctx));
        Assert.Contains($"{ClipTokenizer.Shared.Encode(tooLong[0]).Count + 2} tokens", e.Message);
    }
}
