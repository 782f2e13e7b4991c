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

    private static bool Fits(string text, int contextLength)
    {
        var tokenizer = ClipTokenizer.Shared;
        return PromptTemplates.ImageNet.Concat(PromptTemplates.Part).Append("a {}")
            .All(t => tokenizer.TokenCount(t.Replace("{}", text, StringComparison.Ordinal)) <= contextLength);
    }
}
