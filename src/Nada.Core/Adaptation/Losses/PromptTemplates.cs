using System.Text.Json;
using Nada.Core.Clip;

namespace Nada.Core.Adaptation.Losses;

/// <summary>
/// The prompt templates of StyleGAN-NADA (shipped in Data/prompt_templates.json): 79 ImageNet templates
/// ("a bad photo of a {}.") and 15 part templates ("the nose of a {}.").
/// </summary>
public static class PromptTemplates
{
    private static readonly Lazy<(string[] ImageNet, string[] Part)> all = new(Read);

    /// <summary>CLIP's 79 ImageNet templates, in the reference's order.</summary>
    public static IReadOnlyList<string> ImageNet => all.Value.ImageNet;

    /// <summary>StyleGAN-NADA's 15 part templates, in the reference's order.</summary>
    public static IReadOnlyList<string> Part => all.Value.Part;

    /// <summary>Fills every template's "{}" with <paramref name="text"/>.</summary>
    public static string[] Fill(IEnumerable<string> templates, string text) =>
        templates.Select(t => t.Replace("{}", text, StringComparison.Ordinal)).ToArray();

    private static (string[], string[]) Read()
    {
        using var stream = ClipData.Open("prompt_templates.json");
        using var doc = JsonDocument.Parse(stream);
        string[] Get(string name) => doc.RootElement.GetProperty(name).EnumerateArray().Select(e => e.GetString()!).ToArray();
        return (Get("imagenet_templates"), Get("part_templates"));
    }
}
