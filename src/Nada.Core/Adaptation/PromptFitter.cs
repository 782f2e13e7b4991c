using Nada.Core.Adaptation.Losses;
using Nada.Core.Clip;

namespace Nada.Core.Adaptation;

/// <summary>
/// Shortens a prompt word by word until every way the losses use it (the ImageNet and part templates, "a {text}")
/// fits CLIP's context of 77 tokens; used when a run asks to truncate long prompts instead of failing.
/// </summary>
public static class PromptFitter
{
    /// <summary>The prompt, shortened if needed, and whether it was shortened.</summary>
    public static (string Text, bool Truncated) Fit(string text, int contextLength = ClipTokenizer.DefaultContextLength)
    {
        var words = text.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
        bool truncated = false;
        while (words.Count > 1 && !Fits(string.Join(' ', words), contextLength))
        {
            words.RemoveAt(words.Count - 1);
            truncated = true;
        }
        return (string.Join(' ', words), truncated);
    }

    private static bool Fits(string text, int contextLength) => LongestTokenCount(text) <= contextLength;

    /// <summary>The most tokens <paramref name="text"/> takes in any of the forms the losses use (templates included).</summary>
    public static int LongestTokenCount(string text)
    {
        var tokenizer = ClipTokenizer.Shared;
        return PromptTemplates.ImageNet.Concat(PromptTemplates.Part).Append("a {}")
            .Max(t => tokenizer.TokenCount(t.Replace("{}", text, StringComparison.Ordinal)));
    }

    /// <summary>The CLIP tokens of a prompt (lower-cased and cleaned as CLIP does), to tell prompts apart as CLIP sees them.</summary>
    public static IReadOnlyList<int> Tokens(string text) => ClipTokenizer.Shared.Encode(text);
}
