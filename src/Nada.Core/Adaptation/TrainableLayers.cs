namespace Nada.Core.Adaptation;

/// <summary>
/// Names the generator layers that train, as state-dict prefixes. <see cref="ForPhase"/> and <see cref="ForWPlusEntry"/>
/// are StyleGAN2's (rosinality layout: <c>input.</c>, <c>conv1.</c>, <c>to_rgb1.</c>, <c>convs.N.</c>, <c>to_rgbs.N.</c>);
/// other families answer through <see cref="Generators.StyleGenerator.TrainableLayersForWPlusEntry"/>.
/// </summary>
public static class TrainableLayers
{
    /// <summary>The prefixes a phase preset trains; <paramref name="numConvs"/> is the length of <c>convs</c>.</summary>
    public static IReadOnlyList<string> ForPhase(TrainablePhase phase, int numConvs)
    {
        IEnumerable<string> Convs(int from, int to) =>
            Enumerable.Range(from, Math.Max(0, Math.Min(to, numConvs) - from)).Select(i => $"convs.{i}.");

        string[] head = ["input.", "conv1."];
        return phase switch
        {
            TrainablePhase.Default => [.. head, "convs."],
            TrainablePhase.Texture => [.. head, .. Convs(2, 10)],
            TrainablePhase.Shape => [.. head, .. Convs(0, 2)],
            TrainablePhase.ShapeExpanded => [.. head, .. Convs(0, 3)],
            TrainablePhase.NoFine => [.. head, .. Convs(0, 10)],
            TrainablePhase.All => [""],
            _ => throw new ArgumentOutOfRangeException(nameof(phase), phase, null),
        };
    }

    /// <summary>The layer (state-dict prefix) that W+ entry <paramref name="index"/> trains, or null for none.</summary>
    public static string? ForWPlusEntry(int index, int numWs, WPlusLayerMapping mapping)
    {
        if (index < 0 || index >= numWs)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"W+ index must be in [0, {numWs}).");
        int numConvs = numWs - 2;
        return mapping switch
        {
            // conv1 reads entry 0; convs[j-1] reads entry j; the last entry feeds only the last ToRGB.
            WPlusLayerMapping.FollowsGenerator => index == 0 ? "conv1." : index - 1 < numConvs ? $"convs.{index - 1}." : null,
            // The reference's idx_to_layer = [conv1, to_rgb1] + convs.
            WPlusLayerMapping.Reference => index switch
            {
                0 => "conv1.",
                1 => "to_rgb1.",
                _ => $"convs.{index - 2}.",
            },
            _ => throw new ArgumentOutOfRangeException(nameof(mapping), mapping, null),
        };
    }

    /// <summary>The prefixes trained when every W+ entry is chosen (layer selection skipped because k >= the W+ count).</summary>
    public static IReadOnlyList<string> ForAllEntries(Generators.StyleGenerator generator, WPlusLayerMapping mapping) =>
        Enumerable.Range(0, generator.Config.NumWs)
            .SelectMany(i => generator.TrainableLayersForWPlusEntry(i, mapping))
            .Distinct()
            .ToList();

    /// <summary>True when the dotted parameter name belongs to one of the prefixes.</summary>
    public static bool Matches(string parameterName, IReadOnlyList<string> prefixes) =>
        prefixes.Any(p => p.Length == 0 || parameterName.StartsWith(p, StringComparison.Ordinal));
}
